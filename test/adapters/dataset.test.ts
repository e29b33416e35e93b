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
  validateDataset,
} from '../../src/adapters/dataset.js';
import { destination, uniform } from '../../src/domain/dataset/sampling.js';
import type { TextSink } from '../../src/domain/dataset/types.js';
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

  it('holds out one conversation when the draw gives the test set none, and only then', async () => {
    const rows = ultrachatRows(10);
    const input = await fileInput(await file('small.jsonl', jsonl(rows)));
    const plan = { samplePercent: 100, testPercent: 5 };
    let heldBack = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const drawn = rows.filter((r) => destination(`id:${r.prompt_id}`, { ...plan, seed }) === 'test');
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
          (a, b) => uniform(seed, 'test', `id:${a.prompt_id}`) - uniform(seed, 'test', `id:${b.prompt_id}`),
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
