// A dataset blob was created (Event Grid Microsoft.Storage.BlobCreated): start its run. Not the
// blob trigger: in the Node model that binding hands over the whole blob in memory, and datasets
// run to gigabytes; the event carries the path and eTag, and the activities stream the blob.
import type { InvocationContext } from '@azure/functions';
import { datasetFromBlobEvent } from '../domain/blobEvents.js';
import { eventFieldOf, eventIdOf } from '../domain/untrustedInput.js';
import { startRun, type StartRunDeps } from './startRun.js';

export type DatasetUploadedOutcome =
  | { readonly ignored: string }
  | { readonly runId: string; readonly outcome: 'started' | 'existing' }
  | { readonly rejected: { readonly code: string; readonly message: string } };

/**
 * Starts the run, or logs why not. `event` is one element of the delivered batch, untrusted: only
 * a BlobCreated of the app's storage account and training container counts; null, malformed or
 * foreign events are logged with their id and ignored (a throw would fail the whole batch). A finetune.json that is not JSON or has bad overrides still
 * starts the run, which fails at validate saying so: nobody reads the app's logs for an upload.
 * Other rejections are logged, not thrown: redelivery cannot fix them. Transient faults throw so
 * Event Grid redelivers.
 */
export async function handleDatasetUploaded(
  event: unknown,
  context: InvocationContext,
  deps: StartRunDeps,
): Promise<DatasetUploadedOutcome> {
  const match = datasetFromBlobEvent(event, {
    storageAccount: deps.config.storageAccount,
    trainingContainer: deps.config.storage.trainingContainer,
  });
  if ('ignore' in match) {
    context.log(
      `datasetUploaded: ignored ${eventFieldOf(event, 'subject')}: ${match.ignore} (event ${eventIdOf(event)})`,
    );
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
