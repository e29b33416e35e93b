import { describe, expect, it } from 'vitest';
import { JsonlScanner, firstInvalidUtf8 } from '../../../src/domain/dataset/jsonl.js';
import { ReportBuilder } from '../../../src/domain/dataset/report.js';
import { GOOD, chat, line, validateText } from './validateText.js';

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
};

describe('JSONL lines', () => {
  const text = line(GOOD) + line(chat(['user', 'é東京'], ['assistant', 'ok'])) + line(GOOD);

  it.each([1, 2, 3, 7, 1 << 20])('gives the same report whatever the chunk size (%i)', (chunkSize) => {
    const report = validateText(text, {}, chunkSize);
    expect(report).toMatchObject({ valid: true, rows: 3, validRows: 3, errors: [], warnings: [] });
    expect(report.stats.bytes).toBe(new TextEncoder().encode(text).length);
  });

  it('keeps its own copy of held bytes when the producer reuses one Buffer for every chunk', () => {
    const text = new TextEncoder().encode(line(GOOD) + line(GOOD));
    const report = new ReportBuilder('jsonl', {});
    const scanner = new JsonlScanner(report, {});
    const reused = Buffer.alloc(5); // a Node Buffer, refilled in place like a read loop does
    for (let i = 0; i < text.length; i += reused.length) {
      const n = Math.min(reused.length, text.length - i);
      reused.set(text.subarray(i, i + n));
      scanner.push(reused.subarray(0, n));
    }
    scanner.end();
    expect(report.finish()).toMatchObject({ valid: true, rows: 2, validRows: 2, errors: [] });
  });

  it('tolerates a BOM, CRLF line ends, blank lines and a missing final newline', () => {
    const report = validateText(
      bytes([0xef, 0xbb, 0xbf], `${JSON.stringify(GOOD)}\r\n\r\n  \n${JSON.stringify(GOOD)}`),
    );
    expect(report).toMatchObject({ valid: true, rows: 2, errors: [], warnings: [] });
    expect(report.stats.blankLines).toBe(2);
  });

  it('numbers lines from 1, counting blank ones', () => {
    const report = validateText(`\n${line(GOOD)}\n{"messages": []}\n`);
    expect(report.errors).toEqual([
      {
        line: 4,
        code: 'DATASET.EMPTY_MESSAGES',
        message: "line 4: 'messages' is empty; expected at least a user and an assistant message",
      },
    ]);
  });

  it('rejects a line that is not JSON', () => {
    expect(validateText(`${line(GOOD)}{"messages": [}\n`).errors).toEqual([
      {
        line: 2,
        code: 'DATASET.INVALID_JSON',
        message: expect.stringMatching(
          /^line 2: not valid JSON \(.+\); expected one JSON object per line$/,
        ) as string,
      },
    ]);
  });

  it('recognises a pretty-printed JSON file', () => {
    expect(validateText('[\n  {"messages": []}\n]\n', { maxErrors: 1 }).errors).toEqual([
      {
        line: 1,
        code: 'DATASET.INVALID_JSON',
        message: expect.stringMatching(
          /^line 1: not valid JSON \(.+\); the file looks like pretty-printed JSON; expected one complete JSON object per line$/,
        ) as string,
      },
    ]);
  });

  it('rejects a line that is not UTF-8, naming the column, and goes on', () => {
    const report = validateText(bytes(line(GOOD), '{"a": "', [0xc3, 0x28], '"}\n', line(GOOD)));
    expect(report).toMatchObject({ valid: false, rows: 3, validRows: 2 });
    expect(report.errors).toEqual([
      {
        line: 2,
        code: 'DATASET.NOT_UTF8',
        message: 'line 2: not valid UTF-8 (bad byte at column 8); save the file as UTF-8',
      },
    ]);
  });

  it.each([1, 5, 64])(
    'rejects a line longer than maxLineBytes without buffering it, and goes on (chunks of %i)',
    (chunkSize) => {
      const long = line({ messages: [{ role: 'user', content: 'x'.repeat(200) }] });
      const report = validateText(line(GOOD) + long + line(GOOD), { maxLineBytes: 100 }, chunkSize);
      expect(report).toMatchObject({ valid: false, rows: 3, validRows: 2 });
      expect(report.errors).toEqual([
        {
          line: 2,
          code: 'DATASET.LINE_TOO_LONG',
          message: 'line 2: longer than 100 bytes (--max-line-bytes); skipped',
        },
      ]);
    },
  );

  it('rejects a too-long last line without a newline', () => {
    const report = validateText(line(GOOD) + 'x'.repeat(300), { maxLineBytes: 100 }, 16);
    expect(report.errors.map((f) => [f.line, f.code])).toEqual([[2, 'DATASET.LINE_TOO_LONG']]);
  });

  it('accepts a line of exactly maxLineBytes', () => {
    const text = JSON.stringify(GOOD);
    expect(validateText(`${text}\n`, { maxLineBytes: text.length }, 3).valid).toBe(true);
  });
});

describe('whole-file problems', () => {
  const fileError = (code: string, message: string) => [{ line: 0, code, message }];

  it.each([
    ['', 'the file is empty; expected one conversation per line'],
    ['\n\r\n  \n', 'the file has only blank lines; expected one conversation per line'],
    [bytes([0xef, 0xbb, 0xbf]), 'the file is empty; expected one conversation per line'],
  ])('rejects an empty file (%#)', (input, message) => {
    expect(validateText(input)).toMatchObject({
      valid: false,
      rows: 0,
      errors: fileError('DATASET.EMPTY_FILE', message),
    });
  });

  it.each([
    [
      [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
      'DATASET.COMPRESSED',
      'the file is gzip-compressed; decompress it first (gunzip)',
    ],
    [
      [0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0],
      'DATASET.COMPRESSED',
      'the file is a zip archive; extract the dataset from it first',
    ],
    [
      [0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0],
      'DATASET.COMPRESSED',
      'the file is zstd-compressed; decompress it first (unzstd)',
    ],
    [
      [0x50, 0x41, 0x52, 0x31, 0x15, 0, 0x15, 0],
      'DATASET.WRONG_FORMAT',
      "the file is Parquet, not JSONL; give it a '.parquet' name",
    ],
    [[0xff, 0xfe, 0x7b, 0, 0x7d, 0, 0x0a, 0], 'DATASET.NOT_UTF8', 'the file is UTF-16; save it as UTF-8'],
    [
      [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0],
      'DATASET.BINARY',
      'the file looks binary (a NUL byte at offset 7); expected UTF-8 text, one JSON object per line',
    ],
  ])('recognises %j and stops', (head, code, message) => {
    // The file type is recognised even when the first bytes arrive one at a time.
    const report = validateText(bytes(head, line(GOOD)), {}, 1);
    expect(report).toMatchObject({ valid: false, rows: 0, errors: fileError(code, message) });
  });

  it('does not mistake a short JSONL file for a signature', () => {
    expect(validateText('{"a"').errors.map((f) => f.code)).toEqual(['DATASET.INVALID_JSON']);
  });
});

describe('firstInvalidUtf8', () => {
  it.each([
    [[0x61, 0x62], 2],
    [[0x61, 0xff], 1],
    [[0xc3, 0xa9, 0xc3], 2], // truncated sequence
    [[0xe0, 0x80, 0x80], 0], // overlong
    [[0xed, 0xa0, 0x80], 0], // surrogate
    [[0xf0, 0x9f, 0x98, 0x80, 0x80], 4], // stray continuation byte
  ])('finds the first bad byte in %j', (input, index) => {
    expect(firstInvalidUtf8(Uint8Array.from(input))).toBe(index);
  });
});
