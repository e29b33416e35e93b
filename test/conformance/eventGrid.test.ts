// The Event Grid examples published with the event schemas (recorded under
// test/fixtures/azure/eventgrid/), run through our event parsers. Where a case needs the event to
// be one of ours, only the run id or blob path of the official event is changed.
import { describe, expect, it } from 'vitest';
import { datasetFromBlobEvent } from '../../src/domain/blobEvents.js';
import { matchJobEvent } from '../../src/domain/jobEvents.js';
import { eventExample } from '../support/azureFixtures.js';

const OFFICIAL_RUN_ID = 'AutoML_ad912b2d-6467-4f32-a616-dbe4af6dd8fc_5';
const OUR_RUN_ID = 'ft-0123456789abcdef0123';

interface RecordedEvent {
  readonly topic: string;
  readonly subject: string;
  readonly eventType: string;
  readonly data: Record<string, unknown>;
}

function official(file: string): RecordedEvent {
  const [event] = eventExample(`eventgrid/${file}`).events;
  if (event === undefined) throw new Error(`${file} holds no event`);
  return event as unknown as RecordedEvent;
}

/** The official event as if our pipeline job had sent it: its run id (data and subject) is ours. */
function asOurs(event: RecordedEvent): RecordedEvent {
  return {
    ...event,
    subject: event.subject.replace(OFFICIAL_RUN_ID, OUR_RUN_ID),
    data: { ...event.data, runId: OUR_RUN_ID },
  };
}

describe('Microsoft.MachineLearningServices.RunCompleted (official example)', () => {
  const event = official('runCompleted.json');

  it('is ignored as not ours: its run id does not carry our prefix and it has no tags', () => {
    expect(matchJobEvent(event, { workspaceId: event.topic })).toEqual({
      ignore: `run ${OFFICIAL_RUN_ID} was not started by finetune-autopilot`,
    });
  });

  it('with our run id is a Completed run, runType null and all', () => {
    expect(event.data.runType).toBeNull();
    expect(matchJobEvent(asOurs(event), { workspaceId: event.topic })).toEqual({
      runId: OUR_RUN_ID,
      status: 'Completed',
    });
  });

  it('from another workspace is ignored', () => {
    expect(
      matchJobEvent(asOurs(event), {
        workspaceId: '/subscriptions/s/resourceGroups/rg/providers/x/workspaces/w',
      }),
    ).toEqual({
      ignore: `topic '${event.topic}' is not the configured workspace`,
    });
  });
});

describe('Microsoft.MachineLearningServices.RunStatusChanged (official example)', () => {
  const event = official('runStatusChanged.json');

  it('reads the lower-case runStatus "failed" as Failed', () => {
    expect(event.data.runStatus).toBe('failed');
    expect(matchJobEvent(asOurs(event), { workspaceId: event.topic })).toEqual({
      runId: OUR_RUN_ID,
      status: 'Failed',
    });
  });

  it('compares the topic case-insensitively', () => {
    expect(matchJobEvent(asOurs(event), { workspaceId: event.topic.toUpperCase() })).toEqual({
      runId: OUR_RUN_ID,
      status: 'Failed',
    });
  });

  it('reads the data keys case-insensitively (RunId, RunStatus as some docs spell them)', () => {
    const { runId: _id, runStatus: _status, ...rest } = event.data;
    const pascal = { ...event, data: { ...rest, RunId: OUR_RUN_ID, RunStatus: 'failed' } };
    expect(matchJobEvent(pascal, { workspaceId: event.topic })).toEqual({
      runId: OUR_RUN_ID,
      status: 'Failed',
    });
  });

  it('matches the event type case-insensitively, as Event Grid filters do', () => {
    const lower = { ...asOurs(event), eventType: event.eventType.toLowerCase() };
    expect(matchJobEvent(lower, { workspaceId: event.topic })).toEqual({
      runId: OUR_RUN_ID,
      status: 'Failed',
    });
  });

  it('ignores a status that is not final', () => {
    const running = asOurs({ ...event, data: { ...event.data, runStatus: 'running' } });
    expect(matchJobEvent(running, { workspaceId: event.topic })).toEqual({
      ignore: `run ${OUR_RUN_ID} is running, not finished`,
    });
  });
});

describe('Microsoft.Storage.BlobCreated (official example)', () => {
  const event = official('blobCreated.json');
  /** The example's account (its topic ends with /storageAccounts/jolovstorage) and our container. */
  const OUR_STORAGE = { storageAccount: 'jolovstorage', trainingContainer: 'training-data' };

  it('is ignored from another storage account, even naming our container and a dataset path', () => {
    const ours = {
      ...event,
      subject: '/blobServices/default/containers/training-data/blobs/incoming/chat/train.jsonl',
    };
    expect(
      datasetFromBlobEvent(ours, { storageAccount: 'stautopilot', trainingContainer: 'training-data' }),
    ).toEqual({
      ignore:
        "topic '/subscriptions/faa080af-c1d8-40ad-9cce-e1a450ca5b57/resourceGroups/jolov/providers/Microsoft.Storage/storageAccounts/jolovstorage' is not the storage account stautopilot",
    });
  });

  it('is ignored outside the training container', () => {
    expect(datasetFromBlobEvent(event, OUR_STORAGE)).toEqual({
      ignore: "container 'gaocontainer' is not the training container",
    });
  });

  it('at a dataset path of ours is that dataset, with the eTag as the service sends it', () => {
    const ours = {
      ...event,
      subject: '/blobServices/default/containers/training-data/blobs/incoming/chat/train.jsonl',
    };
    expect(datasetFromBlobEvent(ours, OUR_STORAGE)).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8D96060BDA19D9D' },
      kind: 'folder',
    });
  });

  it('matches the event type case-insensitively', () => {
    const ours = {
      ...event,
      eventType: 'microsoft.storage.blobcreated',
      subject: '/blobServices/default/containers/training-data/blobs/incoming/chat.jsonl',
    };
    expect(datasetFromBlobEvent(ours, OUR_STORAGE)).toEqual({
      dataset: { container: 'training-data', path: 'incoming/chat.jsonl', etag: '0x8D96060BDA19D9D' },
      kind: 'single',
    });
  });
});
