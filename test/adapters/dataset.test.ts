import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetInputError,
  fileInput,
  fileSink,
  formatFromName,
  prepareDataset,
  streamInput,
  validateAndPrepareDataset,
  validateDataset,
} from '../../src/adapters/dataset.js';
import type { DatasetInput, DatasetProgress, StagedSink, TextSink } from '../../src/domain/dataset/types.js';
import { validateText } from '../domain/dataset/validateText.js';
import { ultrachatRows, writeOtherParquet, writeUltrachatParquet } from './parquetFixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataset-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Collects what prepareDataset writes, and whether it was closed. */
function memorySink(): TextSink & { text: string; closed: boolean } {
  const sink = {
    text: '',
    closed: false,
    write(text: string) {
      sink.text += text;
      return Promise.resolve();
    },
    close() {
      sink.closed = true;
      return Promise.resolve();
    },
  };
  return sink;
}

describe('formatFromName', () => {
  it.each([
    ['a/train.jsonl', 'jsonl'],
    ['TRAIN.JSON', 'jsonl'],
    ['x.parquet', 'parquet'],
    ['x.csv', undefined],
    ['noext', undefined],
  ])('%s -> %s', (name, format) => {
    expect(formatFromName(name)).toBe(format);
  });
});

describe('fileInput', () => {
  it('refuses a missing file and a directory with an input error', async () => {
    await expect(fileInput(join(dir, 'missing.jsonl'))).rejects.toThrow(
      new DatasetInputError(`cannot read '${join(dir, 'missing.jsonl')}': no such file`),
    );
    await expect(fileInput(dir)).rejects.toThrow(`cannot read '${dir}': it is a directory`);
  });

  it('sniffs Parquet when the name has no known extension', async () => {
    const path = join(dir, 'noext-data');
    await writeUltrachatParquet(path, ultrachatRows(3));
    expect((await fileInput(path)).format).toBe('parquet');
    expect((await fileInput(await file('other-noext', '{}\n'))).format).toBe('jsonl');
  });
});

describe('validateDataset on files', () => {
  it('validates JSONL read from disk, reporting progress', async () => {
    const path = await file('ok.jsonl', jsonl(ultrachatRows(50)));
    const progress: number[] = [];
    const report = await validateDataset(await fileInput(path), { onProgress: (n) => progress.push(n) });
    expect(report).toMatchObject({
      valid: true,
      format: 'jsonl',
      rows: 50,
      validRows: 50,
      errors: [],
      warnings: [],
    });
    expect(progress.at(-1)).toBe(report.stats.bytes);
  });

  it('validates Parquet row by row across row groups, with row numbers', async () => {
    const rows = ultrachatRows(25);
    rows[11] = { prompt_id: 'id-x', messages: [{ content: 'hi', role: 'bot' }] };
    rows[20] = { prompt_id: 'id-y', messages: null };
    rows[22] = { ...ultrachatRows(1)[0]!, prompt_id: 'id-3' };
    const path = join(dir, 'mixed.parquet');
    await writeUltrachatParquet(path, rows, 10);
    const report = await validateDataset(await fileInput(path));
    expect(report).toMatchObject({ valid: false, format: 'parquet', rows: 25, validRows: 23 });
    expect(report.errors).toEqual([
      {
        line: 12,
        code: 'DATASET.INVALID_ROLE',
        message: "row 12: message 1 has role 'bot'; expected system, user or assistant",
      },
      {
        line: 21,
        code: 'DATASET.MESSAGES_NOT_ARRAY',
        message: "row 21: 'messages' is null; expected an array of {role, content} messages",
      },
    ]);
    expect(report.warnings).toEqual([
      {
        line: 23,
        code: 'DATASET.DUPLICATE_PROMPT_ID',
        message: "row 23: prompt_id 'id-3' already appeared on an earlier row",
      },
    ]);
  });

  it('rejects a Parquet file without a messages column', async () => {
    const path = join(dir, 'other.parquet');
    await writeOtherParquet(path);
    expect((await validateDataset(await fileInput(path))).errors).toEqual([
      {
        line: 0,
        code: 'DATASET.MISSING_MESSAGES',
        message: "the Parquet file has no 'messages' column (it has: text)",
      },
    ]);
  });

  it('rejects JSONL named .parquet, and an empty .parquet', async () => {
    const report = await validateDataset(
      await fileInput(await file('wrong.parquet', jsonl(ultrachatRows(2)))),
    );
    expect(report.errors).toEqual([
      {
        line: 0,
        code: 'DATASET.INVALID_PARQUET',
        message: "the file is not Parquet (it does not start with 'PAR1'); JSONL files need a '.jsonl' name",
      },
    ]);
    const empty = await validateDataset(await fileInput(await file('empty.parquet', '')));
    expect(empty.errors.map((f) => f.code)).toEqual(['DATASET.EMPTY_FILE']);
  });

  it('rejects a truncated Parquet file', async () => {
    const path = join(dir, 'whole.parquet');
    await writeUltrachatParquet(path, ultrachatRows(20));
    const bytes = await readFile(path);
    const cut = await file('cut.parquet', bytes.subarray(0, bytes.length - 30));
    const report = await validateDataset(await fileInput(cut));
    expect(report.valid).toBe(false);
    expect(report.errors[0]?.code).toBe('DATASET.INVALID_PARQUET');
  });
});

describe('streamInput', () => {
  it('streams JSONL from any async iterable, in whatever chunks it comes', async () => {
    const bytes = new TextEncoder().encode(jsonl(ultrachatRows(5)));
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const input = await streamInput('stdin', Readable.from(chunks));
    expect(input.format).toBe('jsonl');
    expect(await validateDataset(input)).toMatchObject({ valid: true, rows: 5 });
  });

  it('spools Parquet to a temporary file for random access, and removes it', async () => {
    const path = join(dir, 'piped.parquet');
    await writeUltrachatParquet(path, ultrachatRows(7));
    const input = await streamInput('stdin', Readable.from([await readFile(path)]));
    expect(input.format).toBe('parquet');
    expect(await validateDataset(input)).toMatchObject({ valid: true, rows: 7 });
    await input.dispose();
  });

  it('reports an empty stream', async () => {
    const input = await streamInput('stdin', Readable.from([]));
    expect((await validateDataset(input)).errors.map((f) => f.code)).toEqual(['DATASET.EMPTY_FILE']);
  });
});

describe('prepareDataset', () => {
  const options = { samplePercent: 50, testPercent: 20, seed: 42 };

  it('samples and splits deterministically, by prompt_id, and closes the sinks', async () => {
    const input = await fileInput(await file('big.jsonl', jsonl(ultrachatRows(400))));
    const run = async () => {
      const sinks = { train: memorySink(), test: memorySink() };
      const result = await prepareDataset({ train: input }, options, sinks);
      return { result, sinks };
    };
    const first = await run();
    const second = await run();
    expect(second.sinks.train.text).toBe(first.sinks.train.text);
    expect(second.sinks.test.text).toBe(first.sinks.test.text);
    const { result, sinks } = first;
    expect(sinks.train.closed && sinks.test.closed).toBe(true);
    expect(result.report.valid).toBe(true);
    expect(result.trainRows + result.testRows).toBeGreaterThan(160);
    expect(result.trainRows + result.testRows).toBeLessThan(240);
    expect(result.testRows).toBeGreaterThan(0);
    const ids = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { prompt_id: string }).prompt_id);
    const trainIds = ids(sinks.train.text);
    expect(trainIds.length).toBe(result.trainRows);
    expect(ids(sinks.test.text).filter((id) => trainIds.includes(id))).toEqual([]);
    expect(sinks.train.text.split('\n')[0]).toMatch(
      /^\{"prompt":"question \d+","prompt_id":"id-\d+","messages":\[\{"content":/,
    );
  });

  it('gives the same rows from Parquet as from the same data in JSONL', async () => {
    const rows = ultrachatRows(120);
    const parquet = join(dir, 'same.parquet');
    await writeUltrachatParquet(parquet, rows, 50);
    const fromJsonl = { train: memorySink(), test: memorySink() };
    const fromParquet = { train: memorySink(), test: memorySink() };
    await prepareDataset(
      { train: await fileInput(await file('same.jsonl', jsonl(rows))) },
      options,
      fromJsonl,
    );
    await prepareDataset({ train: await fileInput(parquet) }, options, fromParquet);
    expect(fromJsonl.train.text.split('\n').length).toBeGreaterThan(30);
    expect(fromParquet.train.text).toBe(fromJsonl.train.text);
    expect(fromParquet.test.text).toBe(fromJsonl.test.text);
  });

  /**
   * The documented draw, written again here (not the production function): a row's number in
   * [0, 1) is the first 48 bits of sha256(`<seed>\0<purpose>\0<key>`); a row goes to test when its
   * 'test' number is below testPercent / 100 (samplePercent 100 keeps every row).
   */
  const draw = (seed: number, purpose: string, key: string): number =>
    parseInt(createHash('sha256').update(`${seed}\0${purpose}\0${key}`).digest('hex').slice(0, 12), 16) /
    2 ** 48;

  it('holds out one conversation when the draw gives the test set none, and only then', async () => {
    const rows = ultrachatRows(10);
    const input = await fileInput(await file('small.jsonl', jsonl(rows)));
    const plan = { samplePercent: 100, testPercent: 5 };
    let heldBack = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const drawn = rows.filter((r) => draw(seed, 'test', `id:${r.prompt_id}`) < plan.testPercent / 100);
      const sinks = { train: memorySink(), test: memorySink() };
      const result = await prepareDataset({ train: input }, { ...plan, seed }, sinks);
      expect(result.trainRows + result.testRows).toBe(10);
      const testIds = sinks.test.text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { prompt_id: string }).prompt_id);
      if (drawn.length > 0) {
        expect(testIds).toEqual(drawn.map((r) => r.prompt_id));
      } else {
        heldBack++;
        // The row the draw came closest to sending to test.
        const closest = [...rows].sort(
          (a, b) => draw(seed, 'test', `id:${a.prompt_id}`) - draw(seed, 'test', `id:${b.prompt_id}`),
        )[0];
        expect(testIds).toEqual([closest?.prompt_id]);
        expect(sinks.train.text).not.toContain(`"prompt_id":"${closest?.prompt_id}"`);
      }
    }
    expect(heldBack).toBeGreaterThan(10); // 0.95^10: most seeds draw no test row from 10
  });

  it('takes the test rows from a separate test input, sampled too', async () => {
    const train = await fileInput(await file('t.jsonl', jsonl(ultrachatRows(100))));
    const test = await fileInput(
      await file('s.jsonl', jsonl(ultrachatRows(100).map((r) => ({ ...r, prompt_id: `t${r.prompt_id}` })))),
    );
    const sinks = { train: memorySink(), test: memorySink() };
    const result = await prepareDataset({ train, test }, { ...options, samplePercent: 100 }, sinks);
    expect(result).toMatchObject({ trainRows: 100, testRows: 100 });
    expect(result.testReport).toMatchObject({ valid: true, rows: 100 });
  });

  it('stops writing on invalid input and leaves the sinks open for the caller to discard', async () => {
    const rows: unknown[] = ultrachatRows(50);
    rows.push({ messages: [] });
    const sinks = { train: memorySink(), test: memorySink() };
    const result = await prepareDataset(
      { train: await fileInput(await file('bad.jsonl', jsonl(rows))) },
      options,
      sinks,
    );
    expect(result).toMatchObject({
      trainRows: 0,
      testRows: 0,
      report: { valid: false, counts: { 'DATASET.EMPTY_MESSAGES': 1 } },
    });
    expect(sinks.train.closed || sinks.test.closed).toBe(false);
  });
});

describe('fileSink', () => {
  it('shows the file under its name only once closed, and discard leaves nothing', async () => {
    const path = join(dir, 'out.jsonl');
    const sink = await fileSink(path);
    await sink.write('a\n');
    await expect(readFile(path)).rejects.toThrow();
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe('a\n');
    const other = await fileSink(join(dir, 'never.jsonl'));
    await other.write('x');
    await other.discard();
    await expect(readFile(join(dir, 'never.jsonl'))).rejects.toThrow();
  });
});

function* chunks(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

/** A JSONL input that arrives in chunks of `size` bytes. */
function chunkedInput(bytes: Uint8Array, size: number): DatasetInput {
  return {
    name: 'chunked.jsonl',
    format: 'jsonl',
    stream: () => Readable.from(chunks(bytes, size)),
  };
}

describe('the Latin-1 fast reading', () => {
  const msg = (role: string, content: string) => ({ role, content });
  const enc = (text: string) => new TextEncoder().encode(text);
  // Rows where reading UTF-8 bytes as Latin-1 could go wrong if the scanner trusted it blindly.
  const tricky = [
    JSON.stringify({
      prompt: 'café',
      prompt_id: 'é1',
      messages: [msg('user', 'café'), msg('assistant', 'oui')],
    }),
    '{"prompt_id":"\\u00e91","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}',
    JSON.stringify({ messages: [msg('user', '\u00a0'), msg('assistant', 'a')] }), // NBSP only: blank
    JSON.stringify({ messages: [msg('user', '\u3000\u00a0 '), msg('assistant', 'é')] }), // blank too
    JSON.stringify({ prompt: 'voilà', messages: [msg('user', 'voilà\u00a0'), msg('assistant', 'a')] }),
    JSON.stringify({ prompt: 'autre é', messages: [msg('user', 'voilà'), msg('assistant', 'a')] }),
    JSON.stringify({ messages: [msg('user', '😀😀😀'), msg('assistant', '東京')] }),
    JSON.stringify({ messages: [msg('bôt', 'é'), msg('assistant', 'a')] }),
    '{"messages": "é',
    JSON.stringify({ prompt_id: 5, messages: [msg('user', 'é'), msg('assistant', 'a')] }),
    JSON.stringify({ messages: [msg('user', 'é'), msg('user', 'ü'), msg('assistant', 'a')] }),
    JSON.stringify({ messages: [msg('user', 'é'), msg('assistant', 'a'), msg('user', 'ß')] }),
    '{"messages":[{"role":"user","content":"\\\\u é"},{"role":"assistant","content":"a"}]}',
    '{"messages":[{"role":"user","content":"\\u00e9 é"},{"role":"assistant","content":"a"}]}',
    JSON.stringify({ prompt_id: `${'東'.repeat(50)}`, messages: [msg('user', 'é'), msg('assistant', 'a')] }),
    JSON.stringify({ prompt_id: `${'東'.repeat(50)}`, messages: [msg('user', 'é'), msg('assistant', 'a')] }),
    JSON.stringify({
      prompt_id: 'é1',
      messages: [msg('system', 'sé'), msg('user', 'q'), msg('assistant', 'à')],
    }),
    JSON.stringify({ messages: [msg('user', 'ok é'), msg('assistant', 'x'.repeat(600))] }),
  ];
  const text = `\ufeff${tricky[0]}\r\n${tricky.slice(1).join('\n')}\n`;
  const withBadByte = Uint8Array.from([...enc(text), ...enc('{"messages":"'), 0xff, ...enc('"}\n')]);

  it.each([1, 3, 7, 64, 1 << 20])(
    'gives the report of the exact decoding, whatever the chunk size (%i)',
    async (size) => {
      for (const options of [{}, { maxSeqLength: 100 }, { maxErrors: 2 }]) {
        const report = await validateDataset(chunkedInput(withBadByte, size), options);
        expect(JSON.stringify(report)).toBe(JSON.stringify(validateText(withBadByte, options)));
      }
    },
  );

  it('finds what the rules say on those rows', async () => {
    const report = await validateDataset(chunkedInput(withBadByte, 1 << 20), { maxSeqLength: 100 });
    expect(report.errors.map((f) => f.message)).toEqual([
      'line 3: message 1 content is blank; remove the message or give it text',
      'line 4: message 1 content is blank; remove the message or give it text',
      "line 8: message 1 has role 'bôt'; expected system, user or assistant",
      `line 9: not valid JSON (${jsonError('{"messages": "é')}); expected one JSON object per line`,
      'line 19: not valid UTF-8 (bad byte at column 14); save the file as UTF-8',
    ]);
    expect(report.warnings.map((f) => f.message)).toEqual([
      "line 2: prompt_id 'é1' already appeared on an earlier line",
      "line 6: 'prompt' differs from the first user message; training reads 'messages', so check which one is right",
      "line 10: 'prompt_id' is a number; expected a string",
      "line 11: message 2 has role 'user' where 'assistant' was expected; roles should alternate user/assistant after an optional leading system message",
      "line 12: the conversation ends with a user message; the last turn should be the assistant's answer",
      `line 16: prompt_id '${'東'.repeat(40)}…' already appeared on an earlier line`,
      "line 17: prompt_id 'é1' already appeared on an earlier line",
      'line 18: about 151 tokens (604 characters / 4) exceed --max-seq-length 100; training may truncate it',
    ]);
    expect(report.stats.characters.min).toBe(2); // line 2 and the others: 'q' + 'a'
    expect(report).toMatchObject({ rows: 19, validRows: 14 });
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

/** A staged sink in memory: what was written, and whether it was committed or aborted. */
function stagedSink(): StagedSink & { text: string; state: 'open' | 'committed' | 'aborted' } {
  const sink = {
    text: '',
    state: 'open' as 'open' | 'committed' | 'aborted',
    write(data: string | Uint8Array) {
      sink.text += typeof data === 'string' ? data : new TextDecoder().decode(data);
      return Promise.resolve();
    },
    commit() {
      sink.state = 'committed';
      return Promise.resolve();
    },
    abort() {
      sink.state = 'aborted';
      return Promise.resolve();
    },
  };
  return sink;
}

describe('validateAndPrepareDataset', () => {
  const options = { samplePercent: 50, testPercent: 20, seed: 42 };
  const sinks = () => ({ train: stagedSink(), test: stagedSink() });
  const badRows = () => {
    const rows: unknown[] = ultrachatRows(30);
    rows[4] = { prompt_id: 'id-x', messages: [{ role: 'bot', content: 'é' }] };
    rows[9] = { ...ultrachatRows(1)[0]!, prompt: 'other' };
    rows[29] = { messages: [] };
    return rows;
  };

  it.each([
    ['valid JSONL', 'jsonl', () => ultrachatRows(60)],
    ['invalid JSONL', 'jsonl', badRows],
    ['valid Parquet', 'parquet', () => ultrachatRows(60)],
    ['invalid Parquet', 'parquet', badRows],
  ])('reports %s exactly as validateDataset does', async (name, format, rows) => {
    const path = join(dir, `same-report-${name.replace(' ', '-')}.${format}`);
    if (format === 'jsonl') await writeFile(path, jsonl(rows()));
    else await writeUltrachatParquet(path, rows() as ReturnType<typeof ultrachatRows>, 25);
    const validateOptions = { maxSeqLength: 10, maxErrors: 5 };
    const expected = JSON.stringify(await validateDataset(await fileInput(path), validateOptions));

    const result = await validateAndPrepareDataset(
      { train: await fileInput(path) },
      { ...options, validate: validateOptions },
      sinks(),
    );

    expect(JSON.stringify(result.report)).toBe(expected);
  });

  it('writes what prepareDataset writes and commits both sinks when the dataset is valid', async () => {
    const path = await file('one-pass.jsonl', jsonl(ultrachatRows(300)));
    const reference = { train: memorySink(), test: memorySink() };
    const expected = await prepareDataset({ train: await fileInput(path) }, options, reference);
    const staged = sinks();

    const result = await validateAndPrepareDataset({ train: await fileInput(path) }, options, staged);

    expect(result).toEqual(expected);
    expect([staged.train.state, staged.test.state]).toEqual(['committed', 'committed']);
    expect(staged.train.text).toBe(reference.train.text);
    expect(staged.test.text).toBe(reference.test.text);
  });

  it('writes non-ASCII rows as the exact UTF-8 of their normalized form', async () => {
    const input = [
      '{"prompt":"café 東京 😀","prompt_id":"é1","messages":[{"role":"user","content":"café 東京 😀"},{"content":"ünï\\n\\"q\\"","role":"assistant","extra":1}]}',
      '{"prompt_id":"\\u00e92","messages":[{"role":"user","content":"\\u6771 ß"},{"role":"assistant","content":"a"}]}',
    ].join('\n');
    const staged = sinks();

    await validateAndPrepareDataset(
      { train: await fileInput(await file('unicode.jsonl', input)) },
      { samplePercent: 100, testPercent: 0, seed: 1 },
      staged,
    );

    expect(staged.train.text).toBe(
      '{"prompt":"café 東京 😀","prompt_id":"é1","messages":[{"content":"café 東京 😀","role":"user"},{"content":"ünï\\n\\"q\\"","role":"assistant"}]}\n' +
        '{"prompt_id":"é2","messages":[{"content":"東 ß","role":"user"},{"content":"a","role":"assistant"}]}\n',
    );
  });

  it('commits nothing when only the last row is invalid', async () => {
    const rows: unknown[] = ultrachatRows(200);
    rows.push({ messages: [{ role: 'user', content: 'q' }] });
    const staged = sinks();

    const result = await validateAndPrepareDataset(
      { train: await fileInput(await file('last-bad.jsonl', jsonl(rows))) },
      options,
      staged,
    );

    expect(result).toMatchObject({ trainRows: 0, testRows: 0, report: { valid: false, rows: 201 } });
    expect([staged.train.state, staged.test.state]).toEqual(['aborted', 'aborted']);
  });

  it('commits nothing when the separate test input is invalid', async () => {
    const staged = sinks();

    const result = await validateAndPrepareDataset(
      {
        train: await fileInput(await file('ok-train.jsonl', jsonl(ultrachatRows(20)))),
        test: await fileInput(await file('bad-test.jsonl', '{"messages": 3}\n')),
      },
      options,
      staged,
    );

    expect(result.report.valid).toBe(true);
    expect(result.testReport?.errors.map((f) => f.code)).toEqual(['DATASET.MESSAGES_NOT_ARRAY']);
    expect([staged.train.state, staged.test.state]).toEqual(['aborted', 'aborted']);
  });

  it('aborts both sinks and rethrows when the input cannot be read to the end', async () => {
    const staged = sinks();
    const failing: DatasetInput = {
      name: 'broken',
      format: 'jsonl',
      async *stream() {
        yield await Promise.resolve(new TextEncoder().encode(jsonl(ultrachatRows(5))));
        throw new DatasetInputError('connection reset');
      },
    };

    await expect(validateAndPrepareDataset({ train: failing }, options, staged)).rejects.toThrow(
      'connection reset',
    );
    expect([staged.train.state, staged.test.state]).toEqual(['aborted', 'aborted']);
  });

  it('reports progress in rows and bytes over both inputs, ending with the totals', async () => {
    const train = await file('progress-train.jsonl', jsonl(ultrachatRows(40)));
    const test = await file('progress-test.jsonl', jsonl(ultrachatRows(10)));
    const seen: DatasetProgress[] = [];

    const result = await validateAndPrepareDataset(
      { train: await fileInput(train), test: await fileInput(test) },
      { ...options, onProgress: (p) => seen.push(p), progressIntervalInMs: 0 },
      sinks(),
    );

    const bytes = result.report.stats.bytes + (result.testReport?.stats.bytes ?? 0);
    expect(seen.at(-1)).toEqual({ rows: 50, bytes });
    expect(seen.some((p) => p.rows === 40 && p.bytes === result.report.stats.bytes)).toBe(true);
  });

  it('reports progress no more often than asked, and the totals at the end', async () => {
    const seen: DatasetProgress[] = [];

    await validateAndPrepareDataset(
      { train: await fileInput(await file('progress-once.jsonl', jsonl(ultrachatRows(40)))) },
      { ...options, onProgress: (p) => seen.push(p), progressIntervalInMs: 60_000 },
      sinks(),
    );

    expect(seen).toHaveLength(1);
    expect(seen[0]?.rows).toBe(40);
  });
});
