import { describe, expect, it } from 'vitest';
import { between, durationText, orDash, table, timeText } from '../../src/cli/format.js';

describe('table', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xyz', '1'],
          ['q', '22222'],
        ],
      ),
    ).toBe('A    BB\nxyz  1\nq    22222\n');
  });
});

describe('durationText', () => {
  it.each([
    [12_400, '12s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d04h'],
  ])('%d ms is %s', (ms, text) => {
    expect(durationText(ms)).toBe(text);
  });
});

describe('timeText', () => {
  it('shows UTC to the second', () => {
    expect(timeText('2026-12-02T01:02:03.456Z')).toBe('2026-12-02 01:02:03Z');
  });

  it('is - when there is no time', () => {
    expect(timeText(undefined)).toBe('-');
  });
});

describe('between', () => {
  it('is the milliseconds from one time to the other', () => {
    expect(between('2026-12-02T01:00:00Z', '2026-12-02T01:00:05Z')).toBe(5000);
  });

  it('runs to now when there is no end', () => {
    expect(between('2026-12-02T01:00:00Z', undefined, Date.parse('2026-12-02T01:01:00Z'))).toBe(60_000);
  });
});

describe('orDash', () => {
  it('is - for an empty value', () => {
    expect(orDash('')).toBe('-');
  });
});
