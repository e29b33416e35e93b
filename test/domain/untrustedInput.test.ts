import { describe, expect, it } from 'vitest';
import { eventFieldOf, eventIdOf, readEventEnvelope, truncated } from '../../src/domain/untrustedInput.js';

describe('truncated', () => {
  it('keeps short text as it is', () => {
    expect(truncated('abc')).toBe('abc');
  });
  it('cuts long text and says how long it was', () => {
    expect(truncated('x'.repeat(70))).toBe(`${'x'.repeat(64)}... (70 characters)`);
  });
});

describe('readEventEnvelope', () => {
  it('reads the fields the webhooks use, topic defaulting to empty', () => {
    expect(readEventEnvelope({ id: 'e1', subject: 's', eventType: 't', data: { a: 1 } })).toEqual({
      event: { id: 'e1', topic: '', subject: 's', eventType: 't', data: { a: 1 } },
    });
  });
  it('skips a topic that is not a string, naming the event', () => {
    expect(readEventEnvelope({ id: 'e2', subject: 's', eventType: 't', topic: 5 })).toEqual({
      id: 'e2',
      ignore: 'topic is not a string',
    });
  });
  it('skips an eventType over 256 characters', () => {
    expect(readEventEnvelope({ subject: 's', eventType: 't'.repeat(257) })).toEqual({
      id: '(no id)',
      ignore: 'eventType is 257 characters, more than 256: not an event of ours',
    });
  });
});

describe('eventIdOf and eventFieldOf', () => {
  it('name an event for a log line, truncated, with placeholders when absent', () => {
    expect([eventIdOf(null), eventIdOf({ id: 'i'.repeat(65) }), eventFieldOf(undefined, 'subject')]).toEqual([
      '(no id)',
      `${'i'.repeat(64)}... (65 characters)`,
      '(no subject)',
    ]);
  });
});
