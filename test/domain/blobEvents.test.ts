import { describe, expect, it } from 'vitest';
import { datasetFromBlobEvent, parseDatasetPath, siblingPaths } from '../../src/domain/blobEvents.js';

const TOPIC = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stautopilot';
const SOURCE = { storageAccount: 'stautopilot', trainingContainer: 'training-data' };

const created = (
  path: string,
  data: Record<string, unknown> = { eTag: '0x8DC0FFEE' },
  container = 'training-data',
) => ({
  id: 'e1',
  topic: TOPIC,
  eventType: 'Microsoft.Storage.BlobCreated',
  subject: `/blobServices/default/containers/${container}/blobs/${path}`,
  data,
});

describe('datasetFromBlobEvent', () => {
  it('starts a run for incoming/<name>/train.jsonl', () => {
    expect(datasetFromBlobEvent(created('incoming/chat/train.jsonl'), SOURCE)).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC0FFEE' },
      kind: 'folder',
    });
  });

  it('starts a run for a single incoming/<name>.parquet, unquoting the ETag', () => {
    expect(datasetFromBlobEvent(created('incoming/chat.parquet', { ETag: '"0x1"' }), SOURCE)).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat.parquet', etag: '0x1' },
      kind: 'single',
    });
  });

  it("ignores a dataset's siblings: they are read when its run starts", () => {
    expect(datasetFromBlobEvent(created('incoming/chat/test.jsonl'), SOURCE)).toEqual({
      ignore: "incoming/chat/test.jsonl is read by its dataset's run, not a dataset itself",
    });
    expect(datasetFromBlobEvent(created('incoming/chat/finetune.json'), SOURCE)).toEqual({
      ignore: "incoming/chat/finetune.json is read by its dataset's run, not a dataset itself",
    });
  });

  it('ignores other files, deeper paths and blobs outside incoming/', () => {
    expect(datasetFromBlobEvent(created('incoming/chat/notes.txt'), SOURCE)).toEqual({
      ignore: 'incoming/chat/notes.txt is not a dataset train file',
    });
    expect(datasetFromBlobEvent(created('incoming/a/b/train.jsonl'), SOURCE)).toEqual({
      ignore: 'incoming/a/b/train.jsonl is not a dataset train file',
    });
    expect(datasetFromBlobEvent(created('runs/ft-1/train.jsonl'), SOURCE)).toEqual({
      ignore: 'runs/ft-1/train.jsonl is outside incoming/',
    });
  });

  it('ignores other containers, other event types and events without an ETag', () => {
    expect(datasetFromBlobEvent(created('incoming/chat.jsonl', undefined, 'other'), SOURCE)).toEqual({
      ignore: "container 'other' is not the training container",
    });
    expect(
      datasetFromBlobEvent(
        { ...created('incoming/chat.jsonl'), eventType: 'Microsoft.Storage.BlobDeleted' },
        SOURCE,
      ),
    ).toEqual({
      ignore: "event type 'Microsoft.Storage.BlobDeleted' is not Microsoft.Storage.BlobCreated",
    });
    expect(datasetFromBlobEvent(created('incoming/chat.jsonl', {}), SOURCE)).toEqual({
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

describe('dataset paths that could leave incoming/ (issue 14)', () => {
  it.each([
    ['incoming/../train.jsonl'],
    ['incoming/./chat.jsonl'],
    ['incoming//train.jsonl'],
    ['incoming/a/../../train.jsonl'],
  ])('refuses %s with REQUEST.INVALID_DATASET_PATH', (path) => {
    expect(parseDatasetPath(path)).toEqual({
      ok: false,
      error: {
        code: 'REQUEST.INVALID_DATASET_PATH',
        message: `dataset path '${path}' has an empty, '.' or '..' segment; name a blob under incoming/ without them`,
      },
    });
  });

  it('refuses a backslash', () => {
    expect(parseDatasetPath('incoming/a\\b.jsonl')).toEqual({
      ok: false,
      error: {
        code: 'REQUEST.INVALID_DATASET_PATH',
        message: "dataset path 'incoming/a\\b.jsonl' contains '\\'; use '/' between folders",
      },
    });
  });

  it('refuses a name longer than 1,024 characters, echoing it truncated', () => {
    const path = `incoming/${'n'.repeat(15_985)}.jsonl`;
    expect(parseDatasetPath(path)).toEqual({
      ok: false,
      error: {
        code: 'REQUEST.INVALID_DATASET_PATH',
        message: `dataset path 'incoming/${'n'.repeat(55)}... (16000 characters)' is 16000 characters; Azure blob names are at most 1024`,
      },
    });
  });

  it('accepts a name of exactly 1,024 characters', () => {
    const path = `incoming/${'n'.repeat(1_009)}.jsonl`;
    expect(parseDatasetPath(path)).toEqual({
      ok: true,
      value: { kind: 'single', name: 'n'.repeat(1_009), format: 'jsonl' },
    });
  });

  it('ignores a BlobCreated whose subject has a .. segment', () => {
    expect(datasetFromBlobEvent(created('incoming/../train.jsonl'), SOURCE)).toEqual({
      ignore:
        "REQUEST.INVALID_DATASET_PATH: dataset path 'incoming/../train.jsonl' has an empty, '.' or '..' segment; name a blob under incoming/ without them",
    });
  });

  it('ignores a 1 MB subject without reading it as a path', () => {
    expect(datasetFromBlobEvent(created(`incoming/${'n'.repeat(1_048_576)}.jsonl`), SOURCE)).toEqual({
      ignore: 'subject is 1048644 characters, more than 2048: not an event of ours',
    });
  });
});

describe('who may send a BlobCreated (issue 14)', () => {
  it('ignores an event from another storage account naming our container', () => {
    const foreign = {
      ...created('incoming/chat/train.jsonl'),
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/attacker',
    };
    expect(datasetFromBlobEvent(foreign, SOURCE)).toEqual({
      ignore:
        "topic '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/attacker' is not the storage account stautopilot",
    });
  });

  it('ignores an event without a topic', () => {
    const { topic: _, ...untopped } = created('incoming/chat/train.jsonl');
    expect(datasetFromBlobEvent(untopped, SOURCE)).toEqual({
      ignore: "topic '' is not the storage account stautopilot",
    });
  });

  it('compares the account case-insensitively', () => {
    const upper = { ...created('incoming/chat.jsonl'), topic: TOPIC.toUpperCase() };
    expect(datasetFromBlobEvent(upper, SOURCE)).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat.jsonl', etag: '0x8DC0FFEE' },
      kind: 'single',
    });
  });

  it('ignores null, a number and an event whose eventType is not a string', () => {
    const results = [null, 42, { ...created('incoming/chat.jsonl'), eventType: 7 }].map((value) =>
      datasetFromBlobEvent(value, SOURCE),
    );
    expect(results).toEqual([
      { ignore: 'not an event object (null)' },
      { ignore: 'not an event object (number)' },
      { ignore: 'eventType is not a string' },
    ]);
  });
});
