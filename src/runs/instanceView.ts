// What GET /api/runs shows for an instance: the orchestration's output once it ended, its
// customStatus while it runs, or a fresh view when it has not published one yet. An orchestration
// that crashed or was terminated (never our cancel path) shows as Failed with that reason. A run is
// over only when its orchestration is: the orchestrator records a failure (or the outcome) first and
// then still cleans up and writes the summary, so until it completes the view says Running.
// GET /api/runs/{id} also shows how far a running validate has read (liveViewOf).
import {
  datasetProgressPath,
  parseDatasetProgress,
  progressStep,
  withDatasetProgress,
} from '../domain/datasetProgress.js';
import type { BlobStore } from '../domain/ports.js';
import type { RunView } from '../domain/runView.js';
import { newRunView, runFailed } from '../domain/runView.js';
import type { FineTuneInput } from '../orchestration/contract.js';
import { ACTIVE_STATUSES, type RunInstance } from './runInstances.js';

const isView = (value: unknown): value is RunView =>
  typeof value === 'object' && value !== null && 'runId' in value && 'steps' in value;

export function viewOf(instance: RunInstance): RunView {
  if (isView(instance.output)) return instance.output;
  const input = instance.input as Partial<FineTuneInput> | undefined;
  const base: RunView = isView(instance.customStatus)
    ? instance.customStatus
    : newRunView(instance.instanceId, input?.dataset ?? { container: '', path: '', etag: '' });
  if (instance.runtimeStatus === 'Failed' || instance.runtimeStatus === 'Terminated') {
    const code = instance.runtimeStatus === 'Failed' ? 'RUN.ORCHESTRATION_FAILED' : 'RUN.TERMINATED';
    const message =
      instance.runtimeStatus === 'Failed'
        ? 'the orchestration stopped unexpectedly; see the function logs for this run id'
        : 'the orchestration was terminated (cleanup did not run; cancel with POST /api/runs/{id}/cancel instead)';
    return runFailed(base, base.step, { code, message }, instance.createdTime);
  }
  // Still cleaning up after an outcome it already published: a caller waiting for the end must not
  // see it yet (the endpoint may still exist, summary.json may not be written). The error stays.
  if (ACTIVE_STATUSES.includes(instance.runtimeStatus) && base.status !== 'Running') {
    return { ...base, status: 'Running' };
  }
  return base;
}

/**
 * viewOf, with runs/<id>/progress.json as the running validate step's detail (an activity cannot
 * set the custom status). Read only while that step runs; a progress blob that cannot be read
 * leaves the view as it is: progress is a convenience, the view is the record.
 */
export async function liveViewOf(
  instance: RunInstance,
  blobs: Pick<BlobStore, 'readText'>,
): Promise<RunView> {
  const view = viewOf(instance);
  if (progressStep(view) === undefined) return view;
  const text = await blobs.readText(datasetProgressPath(view.runId)).catch(() => undefined);
  return withDatasetProgress(view, parseDatasetProgress(text));
}
