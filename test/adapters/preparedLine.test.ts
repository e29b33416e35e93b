import { describe, expect, it } from 'vitest';
import { preparedLine } from '../../src/adapters/preparedLine.js';

describe('preparedLine', () => {
  it('copies a line that already is its normalized line, with a newline', () => {
    const text = '{"prompt_id":"p","messages":[{"content":"a\\nb","role":"user"}]}';
    const bytes = Buffer.from(text, 'utf8');

    const line = preparedLine(JSON.parse(text), 'utf8', bytes);

    expect(line.toString('utf8')).toBe(`${text}\n`);
    bytes[2] = 0x78; // the copy does not share the (reusable) input buffer
    expect(line.toString('utf8')).toBe(`${text}\n`);
  });

  it('serializes a row spelled another way', () => {
    const text = '{ "messages": [{"role": "user", "content": "caf\\u00e9", "name": "x"}], "prompt_id": "p" }';

    const line = preparedLine(JSON.parse(text), 'utf8', Buffer.from(text, 'utf8'));

    expect(line.toString('utf8')).toBe('{"prompt_id":"p","messages":[{"content":"café","role":"user"}]}\n');
  });

  it('writes a Latin-1 reading back as the UTF-8 it holds', () => {
    const utf8 = Buffer.from('{"messages":[{"role":"user","content":"東京"}]}', 'utf8');

    const line = preparedLine(JSON.parse(utf8.toString('latin1')), 'latin1', utf8);

    expect(line.toString('utf8')).toBe('{"messages":[{"content":"東京","role":"user"}]}\n');
  });

  it('serializes when the row came without its bytes (Parquet)', () => {
    const line = preparedLine({ messages: [{ content: 'a', role: 'user' }] }, 'utf8', undefined);

    expect(line.toString('utf8')).toBe('{"messages":[{"content":"a","role":"user"}]}\n');
  });
});
