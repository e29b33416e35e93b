// indexRun: the run's row in the run index (GET /api/runs lists from it), upserted from the view
// the orchestrator holds. Idempotent (a merge of the same values); a fault throws and is retried
// by the host, a refusal (a 4xx: a missing role, say) comes back as a failed Result that the
// orchestrator's `always` ignores: the index is a convenience and never fails or stalls a run.
import { ok } from '../domain/errors.js';
import { runSummaryOf } from '../domain/runIndex.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, type ActivityDeps } from './shared.js';

/** Needs only the index (and a clock): the orchestration's replay tests run it on its own. */
export function createRunIndexActivities({
  ports,
  now,
}: {
  readonly ports: Pick<ActivityDeps['ports'], 'runIndex'>;
  readonly now?: ActivityDeps['now'];
}): Pick<ActivityImplementations, 'indexRun'> {
  return {
    indexRun: ({ view }) =>
      expected(async () => {
        // A view with no step started yet (the run's first write) takes the activity's clock.
        const firstSeenAt = (now?.() ?? new Date()).toISOString();
        const row = await ports.runIndex.put(runSummaryOf(view, firstSeenAt));
        return ok({ startedAt: row.startedAt });
      }),
  };
}
