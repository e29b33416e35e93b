// validate and prepare (src/activities/dataset.ts) over the real blob adapter in Azurite.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { createPorts } from '../../src/adapters/index.js';
import { writeUltrachatParquet } from '../adapters/parquetFixture.js';
import { CONTAINER, conversation, conversations, unwrap, useActivityStack } from './support.js';

const stack = useActivityStack();

describe('validate', () => {
  it('writes report.json and accepts a valid dataset', async () => {
    const runId = 'ft-dsvalid00000000000000';
    const dataset = await stack.dataset('incoming/chat/train.jsonl', conversations(40));
    const result = await stack.activities.validate({ runId, dataset });
    expect(result).toEqual({
      ok: true,
      value: {
        format: 'jsonl',
        rows: 40,
        validRows: 40,
        warnings: 0,
        reportPath: `runs/${runId}/report.json`,
        // the same pass split the rows (seed 42, 5% held out) and committed both files
        split: {
          trainPath: `runs/${runId}/train.jsonl`,
          testPath: `runs/${runId}/test.jsonl`,
          trainRows: 35,
          testRows: 5,
        },
      },
    });
    expect((await stack.readBlob(`runs/${runId}/test.jsonl`)).trim().split('\n')).toHaveLength(5);
    expect(JSON.parse(await stack.readBlob(`runs/${runId}/report.json`))).toMatchObject({
      valid: true,
      rows: 40,
    });
  });

  it('an invalid dataset is DATASET.INVALID with the first findings, and its report is still written', async () => {
    const etag = await stack.upload(
      'incoming/bad.jsonl',
      `${conversation(1)}\n{"messages": [{"role": "bot", "content": "x"}]}\n`,
    );
    const result = await stack.activities.validate({
      runId: 'ft-bad',
      dataset: { container: CONTAINER, path: 'incoming/bad.jsonl', etag },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('DATASET.INVALID');
    expect(result.error.message).toBe(
      'dataset incoming/bad.jsonl was rejected: 1 of 2 rows invalid (full report: runs/ft-bad/report.json)',
    );
    expect(result.error.details).toEqual([expect.objectContaining({ line: 2 })]);
    expect(JSON.parse(await stack.readBlob('runs/ft-bad/report.json'))).toMatchObject({ valid: false });
  });

  it('a dataset overwritten since the run started is DATASET.CHANGED', async () => {
    const etag = await stack.upload('incoming/moving.jsonl', conversation(1));
    await stack.upload('incoming/moving.jsonl', conversation(2));
    const result = await stack.activities.validate({
      runId: 'ft-moving',
      dataset: { container: CONTAINER, path: 'incoming/moving.jsonl', etag },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'DATASET.CHANGED' } });
  });
});

describe('prepare', () => {
  it('writes the train and test split under runs/<id>/', async () => {
    const runId = 'ft-dsprepare000000000000';
    const dataset = await stack.dataset('incoming/split/train.jsonl', conversations(40));
    const { split } = unwrap(await stack.activities.validate({ runId, dataset }));
    const prepared = unwrap(await stack.activities.prepare({ runId, dataset, split }));
    expect(prepared.trainPath).toBe(`runs/${runId}/train.jsonl`);
    expect(prepared.testPath).toBe(`runs/${runId}/test.jsonl`);
    expect(prepared.trainRows + prepared.testRows).toBe(40);
    expect(prepared.testRows).toBeGreaterThan(0);
    expect((await stack.readBlob(prepared.trainPath)).trim().split('\n')).toHaveLength(prepared.trainRows);
    expect((await stack.readBlob(prepared.testPath)).trim().split('\n')).toHaveLength(prepared.testRows);
  });
});

describe('one pass: validate writes the split, committed only when every input is valid', () => {
  it('a dataset that turns invalid at its last row leaves no train.jsonl or test.jsonl behind', async () => {
    const runId = 'ft-dslastrow00000000000';
    const text = `${conversations(40)}\n{"messages": [{"role": "bot", "content": "x"}]}`;
    const dataset = await stack.dataset('incoming/lastrow/train.jsonl', text);
    const result = await stack.activities.validate({ runId, dataset });
    expect(result).toMatchObject({ ok: false, error: { code: 'DATASET.INVALID', details: [{ line: 41 }] } });
    const names: string[] = [];
    for await (const blob of stack.container.listBlobsFlat({ prefix: `runs/${runId}/` }))
      names.push(blob.name);
    expect(names).toEqual([`runs/${runId}/report.json`]);
  });

  it('an invalid test file beside the dataset: validate passes, prepare fails naming it, nothing is committed', async () => {
    const runId = 'ft-dsbadtest0000000000';
    const dataset = await stack.dataset('incoming/badtest/train.jsonl', conversations(20));
    await stack.upload('incoming/badtest/test.jsonl', '{"messages": "nope"}');
    const validated = unwrap(
      await stack.activities.validate({ runId, dataset, testPath: 'incoming/badtest/test.jsonl' }),
    );
    expect(validated.split.testRejected).toEqual([
      expect.objectContaining({ line: 1, code: 'DATASET.MESSAGES_NOT_ARRAY' }),
    ]);
    const prepared = await stack.activities.prepare({
      runId,
      dataset,
      testPath: 'incoming/badtest/test.jsonl',
      split: validated.split,
    });
    expect(prepared).toMatchObject({
      ok: false,
      error: { code: 'DATASET.INVALID', message: 'incoming/badtest/test.jsonl was rejected while preparing' },
    });
    const names: string[] = [];
    for await (const blob of stack.container.listBlobsFlat({ prefix: `runs/${runId}/` }))
      names.push(blob.name);
    expect(names).toEqual([`runs/${runId}/report.json`]);
  });
});

describe('a Parquet dataset in blob storage', () => {
  const runId = 'ft-activitiesparquet000';

  it('is validated over ranged reads of the blob and prepared as JSONL', async () => {
    const file = join(stack.stateDir, 'train.parquet');
    await writeUltrachatParquet(
      file,
      Array.from({ length: 30 }, (_, i) => ({
        prompt: `question ${i}`,
        prompt_id: `p${i}`,
        messages: [
          { role: 'user', content: `question ${i}` },
          { role: 'assistant', content: `answer ${i}` },
        ],
      })),
      10, // three row groups, read one at a time
    );
    const blob = stack.container.getBlockBlobClient('incoming/pq/train.parquet');
    const etag = ((await blob.uploadFile(file)).etag ?? '').replace(/"/g, '');
    const dataset = { container: CONTAINER, path: 'incoming/pq/train.parquet', etag };

    const validated = await stack.activities.validate({ runId, dataset });
    expect(validated).toMatchObject({
      ok: true,
      value: {
        format: 'parquet',
        rows: 30,
        validRows: 30,
        warnings: 0,
        reportPath: `runs/${runId}/report.json`,
        split: { trainPath: `runs/${runId}/train.jsonl`, testPath: `runs/${runId}/test.jsonl` },
      },
    });
    const { split } = unwrap(validated);
    const prepared = await stack.activities.prepare({ runId, dataset, split });
    if (!prepared.ok) throw new Error(prepared.error.message);
    expect(prepared.value.trainRows + prepared.value.testRows).toBe(30);
    const first = JSON.parse(
      (await stack.readBlob(prepared.value.trainPath)).split('\n')[0] ?? '',
    ) as unknown;
    expect(first).toMatchObject({ messages: [{ role: 'user' }, { role: 'assistant' }] });
  });
});

describe('validate progress (runs/<id>/progress.json)', () => {
  it('a pass longer than the progress interval writes how far it has read', async () => {
    const runId = 'ft-dsprogress00000000000';
    const text = conversations(20_000); // ~2 MB: two parser chunks, each well over the 1 ms interval
    const dataset = await stack.dataset('incoming/progress/train.jsonl', text);
    const activities = createActivities(createPorts(stack.config), stack.config, {
      datasetProgressIntervalInMs: 1,
    });

    unwrap(await activities.validate({ runId, dataset }));

    const progress = JSON.parse(await stack.readBlob(`runs/${runId}/progress.json`)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(progress)).toEqual(['step', 'rows', 'bytes', 'totalBytes', 'at']);
    expect(progress.step).toBe('validate');
    expect(progress.totalBytes).toBe(Buffer.byteLength(text));
    expect(progress.rows).toBeGreaterThan(0);
    expect(progress.rows).toBeLessThanOrEqual(20_000);
    expect(progress.bytes).toBeGreaterThan(0);
    expect(progress.bytes).toBeLessThanOrEqual(Buffer.byteLength(text));
  });

  it('a pass shorter than the interval (2 s by default) writes no progress', async () => {
    const runId = 'ft-dsnoprogress000000000';
    const dataset = await stack.dataset('incoming/quick/train.jsonl', conversations(40));

    unwrap(await stack.activities.validate({ runId, dataset }));

    expect(await stack.container.getBlobClient(`runs/${runId}/progress.json`).exists()).toBe(false);
  });
});
