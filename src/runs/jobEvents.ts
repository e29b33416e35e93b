// Azure ML run events (Event Grid) -> JobFinished on the run's orchestration. Only the configured
// workspace's events count; child-run, non-final and unknown events are logged and ignored. The
// orchestrator polls as a backstop, so a lost or ignored event only costs time.
import type { InvocationContext } from '@azure/functions';
import { matchJobEvent } from '../domain/jobEvents.js';
import { eventFieldOf, eventIdOf } from '../domain/untrustedInput.js';
import { ExternalEvent } from '../names.js';
import type { JobFinishedEvent } from '../orchestration/contract.js';
import { ACTIVE_STATUSES, type RunInstances } from './runInstances.js';

/** The workspace's ARM id (defined with the line names that also hash it: src/domain/line.ts). */
export { workspaceResourceId } from '../domain/line.js';

export type JobEventOutcome = { readonly raised: string } | { readonly ignored: string };

export interface JobEventDeps {
  readonly runs: RunInstances;
  /** The workspace whose events count (workspaceResourceId of the settings). */
  readonly workspaceId: string;
}

/** `event` is one element of the delivered batch, untrusted: null or malformed is logged and ignored. */
export async function handleJobEvent(
  event: unknown,
  context: InvocationContext,
  deps: JobEventDeps,
): Promise<JobEventOutcome> {
  const match = matchJobEvent(event, { workspaceId: deps.workspaceId });
  if ('ignore' in match) {
    context.log(
      `jobEvents: ignored ${eventFieldOf(event, 'eventType')} ${eventFieldOf(event, 'subject')}: ${match.ignore} (event ${eventIdOf(event)})`,
    );
    return { ignored: match.ignore };
  }
  const instance = await deps.runs.get(match.runId);
  if (instance === undefined) {
    const reason = `no run ${match.runId}`;
    context.log(`jobEvents: ignored ${match.status} for job ${match.runId}: ${reason}`);
    return { ignored: reason };
  }
  if (!ACTIVE_STATUSES.includes(instance.runtimeStatus)) {
    const reason = `run ${match.runId} is ${instance.runtimeStatus}`;
    context.log(`jobEvents: ignored ${match.status} for job ${match.runId}: ${reason}`);
    return { ignored: reason };
  }
  const payload: JobFinishedEvent = { status: match.status };
  await deps.runs.raise(match.runId, ExternalEvent.jobFinished, payload);
  context.log(`jobEvents: run ${match.runId}: raised ${ExternalEvent.jobFinished} (${match.status})`);
  return { raised: match.runId };
}
