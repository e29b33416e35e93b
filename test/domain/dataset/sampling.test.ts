import { describe, expect, it } from 'vitest';
import {
  destination,
  isNormalizedLine,
  normalizedLine,
  rowKey,
  uniform,
} from '../../../src/domain/dataset/sampling.js';

describe('sampling', () => {
  it('keys rows by prompt_id, else by line', () => {
    expect(rowKey({ prompt_id: 'abc' }, 4)).toBe('id:abc');
    expect(rowKey({ prompt_id: 7 }, 4)).toBe('line:4');
    expect(rowKey({}, 4)).toBe('line:4');
  });

  it('is the first 48 bits of sha256(seed NUL purpose NUL key) over 2^48', () => {
    // values computed outside this code base: python3 hashlib.sha256(b'42\0sample\0id:a')
    expect(uniform(42, 'sample', 'id:a')).toBe(0.4830197765706856);
    expect(uniform(42, 'test', 'id:a')).toBe(0.9528485233263737);
    expect(uniform(43, 'sample', 'id:a')).toBe(0.36258177613274967);
  });

  it('keeps about the sample share and sends about the test share of it to test', () => {
    const plan = { samplePercent: 20, testPercent: 25, seed: 42 };
    const counts = { train: 0, test: 0, skip: 0 };
    for (let i = 0; i < 20_000; i++) counts[destination(`line:${i}`, plan)]++;
    expect(counts.train + counts.test).toBeGreaterThan(3_700);
    expect(counts.train + counts.test).toBeLessThan(4_300);
    expect(counts.test / (counts.train + counts.test)).toBeGreaterThan(0.22);
    expect(counts.test / (counts.train + counts.test)).toBeLessThan(0.28);
  });

  it('keeps everything at 100% and sends nothing to test at 0%', () => {
    const plan = { samplePercent: 100, testPercent: 0, seed: 1 };
    expect(
      Array.from({ length: 100 }, (_, i) => destination(`line:${i}`, plan)).every((d) => d === 'train'),
    ).toBe(true);
  });

  it('writes the ultrachat columns in a fixed order', () => {
    const row = {
      messages: [{ role: 'user', content: 'q', name: 'x' }],
      extra: 1,
      prompt_id: 'p',
      prompt: 'q',
    };
    expect(normalizedLine(row)).toBe(
      '{"prompt":"q","prompt_id":"p","messages":[{"content":"q","role":"user"}]}\n',
    );
    expect(normalizedLine({ prompt: null, messages: [] })).toBe('{"messages":[]}\n');
    expect(normalizedLine({ prompt_id: 12n, messages: [] })).toBe('{"prompt_id":"12","messages":[]}\n');
  });
});

describe('isNormalizedLine', () => {
  const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
  /** Parses `line` as the scanner does and asks whether its bytes are the normalized line. */
  const asRead = (line: string) => isNormalizedLine(JSON.parse(line), Buffer.from(line, 'utf8'), utf8);

  it('is true for a line in the normalized spelling, escapes and all', () => {
    expect(
      asRead(
        '{"prompt":"q \\"x\\"","prompt_id":"p1","messages":[{"content":"a\\nb\\\\c\\td","role":"user"},{"content":"ok","role":"assistant"}]}',
      ),
    ).toBe(true);
  });

  it('is true for multi-byte UTF-8 text measured in UTF-8 bytes', () => {
    expect(asRead('{"messages":[{"content":"café 東京 😀","role":"user"}]}')).toBe(true);
  });

  it('is false with whitespace between tokens', () => {
    expect(asRead('{"messages": [{"content":"a","role":"user"}]}')).toBe(false);
  });

  it('is false when a message has role before content', () => {
    expect(asRead('{"messages":[{"role":"user","content":"a"}]}')).toBe(false);
  });

  it('is false when the top-level keys are in another order', () => {
    expect(asRead('{"prompt_id":"p","prompt":"q","messages":[{"content":"a","role":"user"}]}')).toBe(false);
  });

  it('is false for a \\u escape, even of a plain letter', () => {
    expect(asRead('{"messages":[{"content":"\\u0061","role":"user"}]}')).toBe(false);
  });

  it('is false for an escaped slash', () => {
    expect(asRead('{"messages":[{"content":"a\\/b","role":"user"}]}')).toBe(false);
  });

  it('is false for a duplicate key (the later value wins, the line is longer)', () => {
    expect(asRead('{"prompt":"a","prompt":"b","messages":[{"content":"a","role":"user"}]}')).toBe(false);
  });

  it('is false for a member normalizedLine drops', () => {
    expect(asRead('{"messages":[{"content":"a","role":"user","name":"x"}]}')).toBe(false);
    expect(asRead('{"prompt":null,"messages":[{"content":"a","role":"user"}]}')).toBe(false);
  });

  it('is false for a prompt_id that is not a string', () => {
    expect(asRead('{"prompt_id":7,"messages":[{"content":"a","role":"user"}]}')).toBe(false);
  });

  it('measures with the given function: one byte per char for a Latin-1 reading', () => {
    const bytes = Buffer.from('{"messages":[{"content":"é","role":"user"}]}', 'utf8');
    const latin1Row: unknown = JSON.parse(bytes.toString('latin1'));
    expect(isNormalizedLine(latin1Row, bytes, (text) => text.length)).toBe(true);
    expect(isNormalizedLine(latin1Row, bytes, (text) => text.length + 1)).toBe(false);
  });
});
