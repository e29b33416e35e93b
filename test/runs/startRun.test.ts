// Starting a run (src/runs/startRun.ts), shared by the storage event and POST /api/runs: blobs in
// Azurite, a recording RunInstances in place of the durable client. The dataset reference is
// given with a fixed etag, so every run id below is a literal, worked out outside the code as
// 'ft-' + 20 hex of sha256('{"container":"training-data","etag":"0x1","overrides":{...},"path":"..."}').
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import type { AppConfig } from '../../src/config.js';
import { datasetAt, startRun, type StartRunDeps } from '../../src/runs/startRun.js';
import { startAzuriteBlobAndTable, type AzuriteBlob } from '../support/azurite.js';
import { expectedLine, freshRunIndex, RecordingRunInstances, testConfig } from './support.js';

let azurite: AzuriteBlob;
let container: ContainerClient;
let config: AppConfig;

beforeAll(async () => {
  azurite = await startAzuriteBlobAndTable();
  config = testConfig(azurite.connectionString);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'training-data',
  );
  await container.create();
});

afterAll(async () => {
  await azurite?.close();
});

/** Fresh recorded instances for each case, over the shared container. */
function deps(): StartRunDeps & { runs: RecordingRunInstances } {
  return {
    runs: new RecordingRunInstances(),
    config,
    blobs: new AzureBlobStore(createContainerClient(config.storage)),
    runIndex: freshRunIndex(config),
  };
}

async function upload(path: string, text: string): Promise<string> {
  const response = await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
  return (response.etag ?? '').replace(/"/g, '');
}

const datasetIn = (folder: string) => ({
  container: 'training-data',
  path: `incoming/${folder}/train.jsonl`,
  etag: '0x1',
});

describe('startRun', () => {
  it('starts the run named by the dataset version and its finetune.json overrides, with the test file beside it', async () => {
    await upload('incoming/sr-start/finetune.json', JSON.stringify({ num_train_epochs: 2 }));
    await upload('incoming/sr-start/test.jsonl', '{}');
    const d = deps();
    const result = await startRun(d, { dataset: datasetIn('sr-start') });
    expect(result).toMatchObject({
      ok: true,
      value: {
        runId: 'ft-ae01ee7d6267dc90b1ac',
        outcome: 'started',
        view: { runId: 'ft-ae01ee7d6267dc90b1ac', status: 'Running', step: 'validate' },
      },
    });
    expect(d.runs.started).toEqual([
      {
        instanceId: 'ft-ae01ee7d6267dc90b1ac',
        input: {
          runId: 'ft-ae01ee7d6267dc90b1ac',
          hash: 'ae01ee7d6267dc90b1ac10b9711f2eef9dbeced6b2bcdeb6e6b7dfd3b1f612b0',
          dataset: datasetIn('sr-start'),
          testPath: 'incoming/sr-start/test.jsonl',
          overrides: { num_train_epochs: 2 },
          settings: { jobPollIntervalSeconds: 30, jobDeadlineSeconds: 3600 },
          line: expectedLine('sr-start'),
        },
      },
    ]);
  });

  it('finds the existing run for the same request and starts nothing', async () => {
    const d = deps();
    d.runs.add({ instanceId: 'ft-89e4ded688992079ef97', input: { dataset: datasetIn('sr-dup') } });
    const result = await startRun(d, { dataset: datasetIn('sr-dup') });
    expect(result).toMatchObject({
      ok: true,
      value: { runId: 'ft-89e4ded688992079ef97', outcome: 'existing' },
    });
    expect(d.runs.started).toEqual([]);
  });

  it('treats a finetune.json of null as no overrides', async () => {
    await upload('incoming/sr-null/finetune.json', 'null');
    const d = deps();
    const result = await startRun(d, { dataset: datasetIn('sr-null') });
    expect(result).toMatchObject({
      ok: true,
      value: { runId: 'ft-27afa196c426ce65de22', outcome: 'started' },
    });
    expect(d.runs.started[0]?.input.overrides).toEqual({});
  });

  it('treats losing a start race as the existing run', async () => {
    const d = deps();
    d.runs.raceOnNextStart = true;
    const result = await startRun(d, { dataset: datasetIn('sr-race') });
    expect(result).toMatchObject({
      ok: true,
      value: { runId: 'ft-d9b88f73c5a8d177bdba', outcome: 'existing' },
    });
    expect(d.runs.started).toEqual([]);
  });
});

describe('startRun with force', () => {
  it('starts the next free re-run', async () => {
    const d = deps();
    d.runs.add({ instanceId: 'ft-d7c6d2ecf27273a4904e' });
    d.runs.add({ instanceId: 'ft-d7c6d2ecf27273a4904e-r1' });
    const result = await startRun(d, { dataset: datasetIn('sr-force'), force: true });
    expect(result).toMatchObject({
      ok: true,
      value: { runId: 'ft-d7c6d2ecf27273a4904e-r2', outcome: 'started' },
    });
    expect(d.runs.started.map((s) => s.instanceId)).toEqual(['ft-d7c6d2ecf27273a4904e-r2']);
  });

  it('starts the run itself when it does not exist yet', async () => {
    const d = deps();
    const result = await startRun(d, { dataset: datasetIn('sr-force'), force: true });
    expect(result).toMatchObject({
      ok: true,
      value: { runId: 'ft-d7c6d2ecf27273a4904e', outcome: 'started' },
    });
  });

  it('is RUN.TOO_MANY_RERUNS after 100 re-runs of one dataset version', async () => {
    const d = deps();
    d.runs.add({ instanceId: 'ft-adb2f42fbc3d7a738067' });
    for (let n = 1; n <= 100; n++) d.runs.add({ instanceId: `ft-adb2f42fbc3d7a738067-r${n}` });
    expect(await startRun(d, { dataset: datasetIn('sr-many'), force: true })).toEqual({
      ok: false,
      error: {
        code: 'RUN.TOO_MANY_RERUNS',
        message: 'dataset incoming/sr-many/train.jsonl already has 100 forced re-runs',
      },
    });
    expect(d.runs.started).toEqual([]);
  });
});

describe('startRun with bad overrides', () => {
  it('refuses bad overrides in finetune.json unless asked to start a failing run, naming the file', async () => {
    await upload('incoming/sr-refuse/finetune.json', JSON.stringify({ num_train_epoch: 2 }));
    const d = deps();
    const result = await startRun(d, { dataset: datasetIn('sr-refuse') });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('FINETUNE.INVALID_OVERRIDES');
    expect(result.error.message).toMatch(/^incoming\/sr-refuse\/finetune\.json: /);
    expect(d.runs.started).toEqual([]);
  });

  it('refuses bad overrides from the request body even with failRun (failRun is for the file)', async () => {
    const d = deps();
    const result = await startRun(d, {
      dataset: datasetIn('sr-body'),
      overrides: { learning_rate: 'fast' },
      onBadOverridesFile: 'failRun',
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'FINETUNE.INVALID_OVERRIDES' } });
    expect(d.runs.started).toEqual([]);
  });
});

describe('datasetAt', () => {
  it('is the dataset blob pinned at its current etag', async () => {
    const etag = await upload('incoming/sr-at/train.jsonl', '{}');
    expect(await datasetAt(deps().blobs, config, 'incoming/sr-at/train.jsonl')).toEqual({
      ok: true,
      value: { container: 'training-data', path: 'incoming/sr-at/train.jsonl', etag },
    });
  });

  it('is DATASET.NOT_FOUND naming the path and the container when the blob does not exist', async () => {
    expect(await datasetAt(deps().blobs, config, 'incoming/sr-none/train.jsonl')).toEqual({
      ok: false,
      error: {
        code: 'DATASET.NOT_FOUND',
        message: "dataset 'incoming/sr-none/train.jsonl' does not exist in container training-data",
      },
    });
  });

  it('is DATASET.BAD_PATH for a path that is not a dataset', async () => {
    expect(await datasetAt(deps().blobs, config, 'elsewhere/x.jsonl')).toMatchObject({
      ok: false,
      error: { code: 'DATASET.BAD_PATH' },
    });
  });
});

describe('startRun and the run index', () => {
  const at = new Date('2026-03-04T05:06:07.089Z');

  it('writes a started run to the index at once: Running at validate, started now', async () => {
    const d = { ...deps(), now: () => at };
    await startRun(d, { dataset: datasetIn('sr-index') });
    expect(await d.runIndex.list({ top: 20 })).toEqual({
      runs: [
        {
          runId: 'ft-5d93578903b6ec5da151',
          line: 'sr-index',
          dataset: datasetIn('sr-index'),
          status: 'Running',
          step: 'validate',
          startedAt: '2026-03-04T05:06:07.089Z',
        },
      ],
    });
  });

  it('leaves a row the orchestration already wrote as it is', async () => {
    const d = { ...deps(), now: () => at };
    const ended = {
      runId: 'ft-a400ddff7e81e9d24765',
      line: 'sr-index-late',
      dataset: datasetIn('sr-index-late'),
      status: 'Failed' as const,
      step: 'validate' as const,
      startedAt: '2026-03-04T05:06:07.000Z',
      endedAt: '2026-03-04T05:06:07.050Z',
    };
    await d.runIndex.put(ended);
    await startRun(d, { dataset: datasetIn('sr-index-late') });
    expect((await d.runIndex.list({ top: 20 })).runs).toEqual([ended]);
  });

  it('writes nothing for a run that already exists', async () => {
    const d = deps();
    d.runs.add({ instanceId: 'ft-89e4ded688992079ef97', input: { dataset: datasetIn('sr-dup') } });
    await startRun(d, { dataset: datasetIn('sr-dup') });
    expect(await d.runIndex.list({ top: 20 })).toEqual({ runs: [] });
  });

  it('waits at most about 3 s for a table service that never answers, then starts the run', async () => {
    // accepts connections and never answers: a hung table endpoint
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const hung = testConfig(
        `${azurite.connectionString.replace(/TableEndpoint=[^;]+;/, '')}TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
      );
      const d = { ...deps(), runIndex: freshRunIndex(hung) };
      const started = Date.now();
      const result = await startRun(d, { dataset: datasetIn('sr-index-hung') });
      const elapsedMs = Date.now() - started;

      expect(result).toMatchObject({ ok: true, value: { outcome: 'started' } });
      expect(elapsedMs).toBeGreaterThanOrEqual(2_900);
      expect(elapsedMs).toBeLessThan(6_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  }, 20_000);

  it('still starts the run when the index cannot be written (the orchestration writes it later)', async () => {
    const d = {
      ...deps(),
      runIndex: {
        put: () => Promise.reject(new Error('table service unreachable')),
        list: () => Promise.reject(new Error('not listed here')),
      },
    };
    const result = await startRun(d, { dataset: datasetIn('sr-index-down') });
    expect(result).toMatchObject({ ok: true, value: { outcome: 'started' } });
    expect(d.runs.started.map((s) => s.instanceId)).toEqual(['ft-80c0bdf0245a0f10a49a']);
  });
});
