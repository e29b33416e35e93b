// The datasetUploaded handler (src/runs/datasetUploaded.ts) with real InvocationContext objects,
// blobs in Azurite, and a recording RunInstances in place of the durable client.
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import type { AppConfig } from '../../src/config.js';
import { handleDatasetUploaded } from '../../src/runs/datasetUploaded.js';
import type { StartRunDeps } from '../../src/runs/startRun.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';
import { LoggingContext, RecordingRunInstances, testConfig } from './support.js';

let azurite: AzuriteBlob;
let container: ContainerClient;
let config: AppConfig;
let runs: RecordingRunInstances;
let deps: StartRunDeps;

beforeAll(async () => {
  azurite = await startAzuriteBlob();
  config = testConfig(azurite.connectionString);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'training-data',
  );
  await container.create();
});

afterAll(async () => {
  await azurite.close();
});

beforeEach(() => {
  runs = new RecordingRunInstances();
  deps = { runs, config, blobs: new AzureBlobStore(createContainerClient(config.storage)) };
});

async function upload(path: string, text: string): Promise<string> {
  const response = await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
  return (response.etag ?? '').replace(/"/g, '');
}

/**
 * The eTag the events below carry: the run id is computed from the event, so with a fixed eTag
 * each expected run id is a literal, 'ft-' + 20 hex of sha256 of the canonical
 * {"container","etag","overrides","path"} JSON, worked out outside the code under test.
 */
const ETAG = '0x8DC0FFEE';

const blobCreated = (path: string, eTag: string, containerName = 'training-data') => ({
  id: 'e1',
  topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa',
  subject: `/blobServices/default/containers/${containerName}/blobs/${path}`,
  eventType: 'Microsoft.Storage.BlobCreated',
  eventTime: '2026-01-01T00:00:00Z',
  dataVersion: '',
  metadataVersion: '1',
  data: {
    api: 'PutBlob',
    eTag: `"${eTag}"`,
    contentLength: 10,
    blobType: 'BlockBlob',
    url: `http://x/${path}`,
  },
});

describe('datasetUploaded', () => {
  it('starts the run of a dataset train file, with its finetune.json overrides', async () => {
    await upload('incoming/ev/finetune.json', JSON.stringify({ num_train_epochs: 2 }));
    await upload('incoming/ev/train.jsonl', '{}');
    const context = new LoggingContext('datasetUploaded');
    const outcome = await handleDatasetUploaded(blobCreated('incoming/ev/train.jsonl', ETAG), context, deps);
    expect(outcome).toEqual({ runId: 'ft-52a6369029db436c8fed', outcome: 'started' });
    expect(runs.started.map((s) => s.input.dataset)).toEqual([
      { container: 'training-data', path: 'incoming/ev/train.jsonl', etag: ETAG },
    ]);
    expect(context.lines).toEqual([
      `information: datasetUploaded: run ft-52a6369029db436c8fed started for incoming/ev/train.jsonl (etag ${ETAG})`,
    ]);
  });

  it('treats a duplicate event as a no-op', async () => {
    const etag = await upload('incoming/twice.jsonl', '{}');
    const event = blobCreated('incoming/twice.jsonl', etag);
    await handleDatasetUploaded(event, new LoggingContext('datasetUploaded'), deps);
    const second = await handleDatasetUploaded(event, new LoggingContext('datasetUploaded'), deps);
    expect(second).toMatchObject({ outcome: 'existing' });
    expect(runs.started).toHaveLength(1);
  });

  it('ignores sibling files and blobs outside incoming/ or the training container, with a log line', async () => {
    for (const event of [
      blobCreated('incoming/ev/test.jsonl', 'e'),
      blobCreated('incoming/ev/finetune.json', 'e'),
      blobCreated('runs/ft-x/train.jsonl', 'e'),
      blobCreated('incoming/other.jsonl', 'e', 'other-container'),
    ]) {
      const context = new LoggingContext('datasetUploaded');
      const outcome = await handleDatasetUploaded(event, context, deps);
      expect(outcome).toHaveProperty('ignored');
      expect(context.lines[0]).toMatch(/^information: datasetUploaded: ignored /);
    }
    expect(runs.started).toEqual([]);
  });

  it('starts a run that fails at validate when finetune.json is not JSON (nobody reads the logs)', async () => {
    await upload('incoming/broken/finetune.json', '{ nope');
    await upload('incoming/broken/train.jsonl', '{}');
    const context = new LoggingContext('datasetUploaded');
    const outcome = await handleDatasetUploaded(
      blobCreated('incoming/broken/train.jsonl', ETAG),
      context,
      deps,
    );
    // no overrides name the run: there are none to read
    expect(outcome).toEqual({ runId: 'ft-63d375cdc652c71c2bbe', outcome: 'started' });
    expect(runs.started[0]?.input.rejectedOverrides).toMatchObject({
      code: 'FINETUNE.OVERRIDES_NOT_JSON',
      message: expect.stringMatching(/^incoming\/broken\/finetune\.json is not valid JSON: /),
    });
  });

  it('starts a run carrying every problem of a finetune.json with bad overrides, named by its path', async () => {
    const overrides = { num_train_epoch: 2, learning_rate: 'fast' };
    await upload('incoming/badov/finetune.json', JSON.stringify(overrides));
    await upload('incoming/badov/train.jsonl', '{}');
    const outcome = await handleDatasetUploaded(
      blobCreated('incoming/badov/train.jsonl', ETAG),
      new LoggingContext('datasetUploaded'),
      deps,
    );
    // The run is named by the overrides requested, bad or not (docs/contracts.md "Run id").
    expect(outcome).toEqual({ runId: 'ft-276977c05981ee9720a7', outcome: 'started' });
    const rejected = runs.started[0]?.input.rejectedOverrides;
    expect(rejected?.code).toBe('FINETUNE.INVALID_OVERRIDES');
    expect(rejected?.message).toMatch(
      /^incoming\/badov\/finetune\.json: fine-tune overrides have 2 problems: /,
    );
    expect((rejected?.details as { parameter: string }[]).map((d) => d.parameter)).toEqual([
      'num_train_epoch',
      'learning_rate',
    ]);
  });
});
