import { describe, expect, it } from 'vitest';
import { parseNcrontab } from '../../../dev/host/ncrontab.js';

const at = (iso: string): Date => new Date(iso);

describe('parseNcrontab', () => {
  it('fires every 10 seconds on multiples of 10', () => {
    const s = parseNcrontab('*/10 * * * * *');
    expect(s.next(at('2026-01-01T00:00:03.500Z')).toISOString()).toBe('2026-01-01T00:00:10.000Z');
    expect(s.next(at('2026-01-01T00:00:10.000Z')).toISOString()).toBe('2026-01-01T00:00:20.000Z');
  });

  it('fires hourly at minute 0 second 0', () => {
    const s = parseNcrontab('0 0 * * * *');
    expect(s.next(at('2026-01-01T10:00:00.000Z')).toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });

  it('handles ranges, lists and day-of-week names (weekdays at 9:30)', () => {
    const s = parseNcrontab('0 30 9 * * Mon-Fri');
    // 2026-01-03 is a Saturday: next is Monday the 5th.
    expect(s.next(at('2026-01-03T12:00:00Z')).toISOString()).toBe('2026-01-05T09:30:00.000Z');
    const l = parseNcrontab('5,15 0 0 1 Jan,Jul *');
    expect(l.next(at('2026-01-01T00:00:05Z')).toISOString()).toBe('2026-01-01T00:00:15.000Z');
    expect(l.next(at('2026-01-01T00:00:15Z')).toISOString()).toBe('2026-07-01T00:00:05.000Z');
  });

  it('treats 7 as Sunday and crosses month and year ends', () => {
    const s = parseNcrontab('0 0 0 * * 7');
    expect(s.next(at('2026-12-29T00:00:00Z')).toISOString()).toBe('2027-01-03T00:00:00.000Z');
  });

  it('requires day and day-of-week to match together', () => {
    // Friday the 13th.
    const s = parseNcrontab('0 0 0 13 * 5');
    expect(s.next(at('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-02-13T00:00:00.000Z');
  });

  it('rejects five-field (classic cron) expressions with a message naming the fields', () => {
    expect(() => parseNcrontab('*/5 * * * *')).toThrow(
      'TIMER.INVALID_SCHEDULE: "*/5 * * * *": expected 6 fields (second minute hour day month day-of-week), got 5',
    );
  });

  it('rejects out-of-range and malformed values', () => {
    expect(() => parseNcrontab('60 * * * * *')).toThrow('second value 60 is outside 0-59');
    expect(() => parseNcrontab('* * 5-2 * * *')).toThrow('hour range 5-2 runs backwards');
    expect(() => parseNcrontab('*/0 * * * * *')).toThrow('second step must be at least 1');
    expect(() => parseNcrontab('x * * * * *')).toThrow('second value "x" is not a number');
  });

  it('reports a schedule that never matches', () => {
    expect(() => parseNcrontab('0 0 0 30 Feb *').next(at('2026-01-01T00:00:00Z'))).toThrow(
      'never matches a real date',
    );
  });
});
