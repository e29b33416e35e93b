// The datasetUploaded handler (src/runs/datasetUploaded.ts) with real InvocationContext objects,
// blobs in Azurite, and a recording RunInstances in place of the durable client.
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import type { AppConfig } from '../../src/config.js';
import { handleDatasetUploaded } from '../../src/runs/datasetUploaded.js';
import type { StartRunDeps } from '../../src/runs/startRun.js';
import { startAzuriteBlobAndTable, type AzuriteBlob } from '../support/azurite.js';
import { LoggingContext, RecordingRunInstances, freshRunIndex, testConfig } from './support.js';

let azurite: AzuriteBlob;
let container: ContainerClient;
let config: AppConfig;
let runs: RecordingRunInstances;
let deps: StartRunDeps;

beforeAll(async () => {
  azurite = await startAzuriteBlobAndTable();
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
  deps = {
    runs,
    config,
    blobs: new AzureBlobStore(createContainerClient(config.storage)),
    runIndex: freshRunIndex(config),
  };
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
  topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
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

  it('starts the promised failing run, once, for a finetune.json naming Object.prototype members', async () => {
    await upload('incoming/poison/finetune.json', '{"toString":"x","constructor":1}');
    await upload('incoming/poison/train.jsonl', '{}');
    const event = blobCreated('incoming/poison/train.jsonl', ETAG);
    const first = await handleDatasetUploaded(event, new LoggingContext('datasetUploaded'), deps);
    const again = await handleDatasetUploaded(event, new LoggingContext('datasetUploaded'), deps);
    expect([first, again].map((o) => ('outcome' in o ? o.outcome : o))).toEqual(['started', 'existing']);
    expect(runs.started).toHaveLength(1);
    expect(runs.started[0]?.input.rejectedOverrides).toMatchObject({
      code: 'FINETUNE.INVALID_OVERRIDES',
      message:
        'incoming/poison/finetune.json: fine-tune overrides have 2 problems: toString: not a fine-tune parameter; constructor: not a fine-tune parameter',
    });
  });

  it('starts a failing run without the overrides for a finetune.json nested 5,000 levels deep', async () => {
    await upload(
      'incoming/deepov/finetune.json',
      `{"num_train_epochs":${'['.repeat(5000)}1${']'.repeat(5000)}}`,
    );
    await upload('incoming/deepov/train.jsonl', '{}');
    const outcome = await handleDatasetUploaded(
      blobCreated('incoming/deepov/train.jsonl', ETAG),
      new LoggingContext('datasetUploaded'),
      deps,
    );
    expect(outcome).toHaveProperty('outcome', 'started');
    expect(runs.started[0]?.input.overrides).toEqual({});
    expect(runs.started[0]?.input.rejectedOverrides).toMatchObject({
      code: 'FINETUNE.INVALID_OVERRIDES',
      details: [
        {
          parameter: '',
          code: 'FINETUNE.OVERRIDES_TOO_LARGE',
          message: 'overrides are nested more than 4 levels deep; fine-tune parameters are single values',
        },
      ],
    });
  });

  it('logs a null event with a placeholder id and ignores it', async () => {
    const context = new LoggingContext('datasetUploaded');
    expect(await handleDatasetUploaded(null, context, deps)).toEqual({
      ignored: 'not an event object (null)',
    });
    expect(context.lines).toEqual([
      'information: datasetUploaded: ignored (no subject): not an event object (null) (event (no id))',
    ]);
  });

  it('logs a malformed event with its id and ignores it', async () => {
    const context = new LoggingContext('datasetUploaded');
    const outcome = await handleDatasetUploaded({ id: 'bad-1', subject: 42 }, context, deps);
    expect(outcome).toEqual({ ignored: 'subject is not a string' });
    expect(context.lines).toEqual([
      'information: datasetUploaded: ignored (no subject): subject is not a string (event bad-1)',
    ]);
  });

  it('ignores a BlobCreated from another storage account naming our container and an existing dataset', async () => {
    const etag = await upload('incoming/foreign.jsonl', '{}');
    const event = {
      ...blobCreated('incoming/foreign.jsonl', etag),
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/someoneelse',
    };
    const outcome = await handleDatasetUploaded(event, new LoggingContext('datasetUploaded'), deps);
    expect(outcome).toEqual({
      ignored:
        "topic '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/someoneelse' is not the storage account devstoreaccount1",
    });
    expect(runs.started).toEqual([]);
  });

  it('logs and ignores a 1 MB subject with a short log line', async () => {
    const context = new LoggingContext('datasetUploaded');
    const outcome = await handleDatasetUploaded(
      blobCreated(`incoming/${'n'.repeat(1_048_576)}.jsonl`, ETAG),
      context,
      deps,
    );
    expect(outcome).toEqual({
      ignored: 'subject is 1048644 characters, more than 2048: not an event of ours',
    });
    expect(context.lines.join('\n').length).toBeLessThan(500);
  });

  it('ignores a subject whose blob path climbs out of incoming/', async () => {
    await upload('train.jsonl', '{}');
    const outcome = await handleDatasetUploaded(
      blobCreated('incoming/../train.jsonl', ETAG),
      new LoggingContext('datasetUploaded'),
      deps,
    );
    expect(outcome).toEqual({
      ignored:
        "REQUEST.INVALID_DATASET_PATH: dataset path 'incoming/../train.jsonl' has an empty, '.' or '..' segment; name a blob under incoming/ without them",
    });
    expect(runs.started).toEqual([]);
  });
});
