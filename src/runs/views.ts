// What GET /api/runs shows for an instance: the orchestration's output once it ended, its
// customStatus while it runs, or a fresh view when it has not published one yet. An orchestration
// that crashed or was terminated (never our cancel path) shows as Failed with that reason.
import type { RunView } from '../domain/run/view.js';
import { newRunView, runFailed } from '../domain/runView.js';
import type { FineTuneInput } from '../orchestration/types.js';
import type { RunInstance } from './runInstances.js';

export const OrchestrationCode = {
  failed: 'RUN.ORCHESTRATION_FAILED',
  terminated: 'RUN.TERMINATED',
} as const;

const isView = (value: unknown): value is RunView =>
  typeof value === 'object' && value !== null && 'runId' in value && 'steps' in value;

export function viewOf(instance: RunInstance): RunView {
  if (isView(instance.output)) return instance.output;
  const input = instance.input as Partial<FineTuneInput> | undefined;
  const base: RunView = isView(instance.customStatus)
    ? instance.customStatus
    : newRunView(instance.instanceId, input?.dataset ?? { container: '', path: '', etag: '' });
  if (instance.runtimeStatus === 'Failed' || instance.runtimeStatus === 'Terminated') {
    const code =
      instance.runtimeStatus === 'Failed' ? OrchestrationCode.failed : OrchestrationCode.terminated;
    const message =
      instance.runtimeStatus === 'Failed'
        ? 'the orchestration stopped unexpectedly; see the function logs for this run id'
        : 'the orchestration was terminated (cleanup did not run; cancel with POST /api/runs/{id}/cancel instead)';
    return runFailed(base, base.step, { code, message }, instance.createdTime);
  }
  return base;
}
