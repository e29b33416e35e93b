// A dataset blob was created (Event Grid Microsoft.Storage.BlobCreated): start its run. Not the
// blob trigger: in the Node model that binding hands over the whole blob in memory, and datasets
// run to gigabytes; the event carries the path and eTag, and the activities stream the blob.
import type { InvocationContext } from '@azure/functions';
import { datasetFromBlobEvent } from '../domain/blobEvents.js';
import { startRun, type StartRunDeps } from './startRun.js';

export interface BlobEvent {
  readonly subject: string;
  readonly eventType: string;
  readonly data?: unknown;
}

export type DatasetUploadedOutcome =
  | { readonly ignored: string }
  | { readonly runId: string; readonly outcome: 'started' | 'existing' }
  | { readonly rejected: { readonly code: string; readonly message: string } };

/**
 * Starts the run, or logs why not. A finetune.json that is not JSON or has bad overrides still
 * starts the run, which fails at validate saying so: nobody reads the app's logs for an upload.
 * Other rejections are logged, not thrown: redelivery cannot fix them. Transient faults throw so
 * Event Grid redelivers.
 */
export async function handleDatasetUploaded(
  event: BlobEvent,
  context: InvocationContext,
  deps: StartRunDeps,
): Promise<DatasetUploadedOutcome> {
  const match = datasetFromBlobEvent(
    { subject: event.subject, eventType: event.eventType, data: event.data },
    deps.config.storage.trainingContainer,
  );
  if ('ignore' in match) {
    context.log(`datasetUploaded: ignored ${event.subject}: ${match.ignore}`);
    return { ignored: match.ignore };
  }
  const started = await startRun(deps, { dataset: match.dataset, onBadOverridesFile: 'failRun' });
  if (!started.ok) {
    context.warn(
      `datasetUploaded: run not started for ${match.dataset.path}: ${started.error.code}: ${started.error.message}`,
    );
    return { rejected: { code: started.error.code, message: started.error.message } };
  }
  const { runId, outcome } = started.value;
  context.log(
    outcome === 'started'
      ? `datasetUploaded: run ${runId} started for ${match.dataset.path} (etag ${match.dataset.etag})`
      : `datasetUploaded: run ${runId} already exists for ${match.dataset.path}; duplicate event ignored`,
  );
  return { runId, outcome };
}
