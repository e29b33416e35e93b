// Worker threads load the built worker script, so these tests run the built modules (dist/, as
// `npm test` builds first): from the TypeScript sources the scan would quietly stay in one thread.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Dataset from '../../src/adapters/dataset.js';
import type * as Parallel from '../../src/adapters/parallelJsonl.js';
import type { StagedSink } from '../../src/domain/dataset/types.js';

const built = (path: string) => pathToFileURL(resolve(path)).href;
let dataset: typeof Dataset;
let dir: string;

beforeAll(async () => {
  expect(existsSync('dist/src/adapters/datasetWorker.js'), 'dist/ is missing: run `npm run build`').toBe(
    true,
  );
  dataset = (await import(built('dist/src/adapters/dataset.js'))) as typeof Dataset;
  const parallel = (await import(built('dist/src/adapters/parallelJsonl.js'))) as typeof Parallel;
  expect(parallel.workersAvailable()).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'parallel-jsonl-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const msg = (role: string, content: string) => ({ role, content });
const good = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    prompt: `question ${i} é`,
    prompt_id: `id-${i % 170}`, // repeats: duplicates land in other batches than their first
    messages: [msg('user', `question ${i} é`), msg('assistant', `answer ${i} ${'東'.repeat(i % 50)}`)],
    ...extra,
  });

/** 600 lines with findings of every kind spread over them, so they fall in many batches. */
function mixedDataset(): string {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    if (i % 97 === 5) lines.push('{"messages": [');
    else if (i % 89 === 7) lines.push(JSON.stringify({ messages: [msg('bot', 'é')] }));
    else if (i % 83 === 3) lines.push('');
    else if (i % 79 === 11)
      lines.push(JSON.stringify({ messages: [msg('user', 'x'.repeat(900))] })); // too long
    else if (i % 71 === 2) lines.push(good(i, { prompt: 'other' }));
    else if (i % 67 === 9) lines.push(JSON.stringify({ messages: [msg('user', 'q'), msg('user', 'q')] }));
    else lines.push(good(i));
  }
  return `\ufeff${lines.join('\n')}\n${good(600).slice(0, 40)}`; // ends on an unterminated, broken line
}

function stagedSink(): StagedSink & { text: string; state: string } {
  const sink = {
    text: '',
    state: 'open',
    write: (data: string | Uint8Array) => {
      sink.text += typeof data === 'string' ? data : new TextDecoder().decode(data);
      return Promise.resolve();
    },
    commit: () => {
      sink.state = 'committed';
      return Promise.resolve();
    },
    abort: () => {
      sink.state = 'aborted';
      return Promise.resolve();
    },
  };
  return sink;
}

describe('JSONL on worker threads', () => {
  it.each([1, 2, 3])(
    'gives the single-threaded report with %i worker(s) and batches of ~300 bytes',
    async (threads) => {
      const path = join(dir, `mixed-${threads}.jsonl`);
      await writeFile(path, mixedDataset());
      const options = { maxLineBytes: 800, maxErrors: 7, maxSeqLength: 20 };
      const single = await dataset.validateDataset(await dataset.fileInput(path), { ...options, threads: 0 });

      const parallel = await dataset.validateDataset(await dataset.fileInput(path), {
        ...options,
        threads,
        batchBytes: 300,
      });

      expect(single.counts['DATASET.DUPLICATE_PROMPT_ID']).toBeGreaterThan(100);
      expect(single.counts['DATASET.LINE_TOO_LONG']).toBe(7);
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(single));
    },
  );

  it('prepares the same train and test files as a single-threaded pass', async () => {
    const lines = Array.from({ length: 800 }, (_, i) =>
      i % 5 === 0 ? JSON.stringify({ messages: [msg('user', `q ${i} é`), msg('assistant', 'a')] }) : good(i),
    );
    const path = join(dir, 'valid.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const plan = { samplePercent: 40, testPercent: 20, seed: 7 };
    const run = async (threads: number) => {
      const sinks = { train: stagedSink(), test: stagedSink() };
      const result = await dataset.validateAndPrepareDataset(
        { train: await dataset.fileInput(path) },
        { ...plan, validate: { threads, batchBytes: 500 } },
        sinks,
      );
      return {
        result,
        train: sinks.train.text,
        test: sinks.test.text,
        states: [sinks.train.state, sinks.test.state],
      };
    };

    const single = await run(0);
    const parallel = await run(2);

    expect(single.states).toEqual(['committed', 'committed']);
    expect(single.result.trainRows).toBeGreaterThan(200);
    expect(single.result.testRows).toBeGreaterThan(30);
    expect(parallel).toEqual(single);
  });
});
