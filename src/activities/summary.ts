// writeSummary: the finished run view as runs/<id>/summary.json, beside the run's other files.
import { ok } from '../domain/errors.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, runBlobPath, type ActivityDeps } from './shared.js';

export function createSummaryActivities({
  ports,
}: ActivityDeps): Pick<ActivityImplementations, 'writeSummary'> {
  return {
    writeSummary: ({ view }) =>
      expected(async () => {
        const path = runBlobPath(view.runId, 'summary.json');
        await ports.blobs.writeText(path, JSON.stringify(view, null, 2), 'application/json');
        return ok({ path });
      }),
  };
}
