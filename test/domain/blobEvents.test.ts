import { describe, expect, it } from 'vitest';
import { datasetFromBlobEvent, parseDatasetPath, siblingPaths } from '../../src/domain/blobEvents.js';

const created = (
  path: string,
  data: Record<string, unknown> = { eTag: '0x8DC0FFEE' },
  container = 'training-data',
) => ({
  eventType: 'Microsoft.Storage.BlobCreated',
  subject: `/blobServices/default/containers/${container}/blobs/${path}`,
  data,
});

describe('datasetFromBlobEvent', () => {
  it('starts a run for incoming/<name>/train.jsonl', () => {
    expect(datasetFromBlobEvent(created('incoming/chat/train.jsonl'), 'training-data')).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC0FFEE' },
      kind: 'folder',
    });
  });

  it('starts a run for a single incoming/<name>.parquet, unquoting the ETag', () => {
    expect(
      datasetFromBlobEvent(created('incoming/chat.parquet', { ETag: '"0x1"' }), 'training-data'),
    ).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat.parquet', etag: '0x1' },
      kind: 'single',
    });
  });

  it("ignores a dataset's siblings: they are read when its run starts", () => {
    expect(datasetFromBlobEvent(created('incoming/chat/test.jsonl'), 'training-data')).toEqual({
      ignore: "incoming/chat/test.jsonl is read by its dataset's run, not a dataset itself",
    });
    expect(datasetFromBlobEvent(created('incoming/chat/finetune.json'), 'training-data')).toEqual({
      ignore: "incoming/chat/finetune.json is read by its dataset's run, not a dataset itself",
    });
  });

  it('ignores other files, deeper paths and blobs outside incoming/', () => {
    expect(datasetFromBlobEvent(created('incoming/chat/notes.txt'), 'training-data')).toEqual({
      ignore: 'incoming/chat/notes.txt is not a dataset train file',
    });
    expect(datasetFromBlobEvent(created('incoming/a/b/train.jsonl'), 'training-data')).toEqual({
      ignore: 'incoming/a/b/train.jsonl is not a dataset train file',
    });
    expect(datasetFromBlobEvent(created('runs/ft-1/train.jsonl'), 'training-data')).toEqual({
      ignore: 'runs/ft-1/train.jsonl is outside incoming/',
    });
  });

  it('ignores other containers, other event types and events without an ETag', () => {
    expect(datasetFromBlobEvent(created('incoming/chat.jsonl', undefined, 'other'), 'training-data')).toEqual(
      {
        ignore: "container 'other' is not the training container",
      },
    );
    expect(
      datasetFromBlobEvent(
        { ...created('incoming/chat.jsonl'), eventType: 'Microsoft.Storage.BlobDeleted' },
        'training-data',
      ),
    ).toEqual({
      ignore: "event type 'Microsoft.Storage.BlobDeleted' is not Microsoft.Storage.BlobCreated",
    });
    expect(datasetFromBlobEvent(created('incoming/chat.jsonl', {}), 'training-data')).toEqual({
      ignore: 'event for incoming/chat.jsonl carries no eTag',
    });
  });
});

describe('parseDatasetPath', () => {
  it('reads both layouts and says what a dataset path looks like otherwise', () => {
    expect(parseDatasetPath('incoming/chat/train.parquet')).toEqual({
      ok: true,
      value: { kind: 'folder', name: 'chat', format: 'parquet' },
    });
    expect(parseDatasetPath('incoming/chat.jsonl')).toEqual({
      ok: true,
      value: { kind: 'single', name: 'chat', format: 'jsonl' },
    });
    expect(parseDatasetPath('chat.jsonl')).toEqual({
      ok: false,
      error: {
        code: 'DATASET.BAD_PATH',
        message:
          "'chat.jsonl' is not a dataset path; expected incoming/<name>/train.jsonl (or .parquet) or incoming/<name>.jsonl (or .parquet)",
      },
    });
  });
});

describe('siblingPaths', () => {
  it('lists the test candidates and the overrides file beside a folder dataset', () => {
    expect(siblingPaths('incoming/chat/train.jsonl')).toEqual({
      test: ['incoming/chat/test.jsonl', 'incoming/chat/test.parquet'],
      overrides: 'incoming/chat/finetune.json',
    });
  });

  it('has no test file for a single-file dataset (it is split)', () => {
    expect(siblingPaths('incoming/chat.jsonl')).toEqual({ overrides: 'incoming/chat/finetune.json' });
  });
});
