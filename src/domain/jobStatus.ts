// When an Azure ML job is over. "Finished" means Completed, Failed or Canceled (CancelRequested,
// Finalizing, NotResponding are still in flight).
import type { JobStatus } from './resources.js';

export const FINISHED_JOB_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;
export type FinishedJobStatus = (typeof FINISHED_JOB_STATUSES)[number];

export function isTerminalJobStatus(status: string): status is FinishedJobStatus {
  return (FINISHED_JOB_STATUSES as readonly string[]).includes(status);
}

/** The finished status of a job, or undefined while it is still in flight. */
export function jobFinished(status: JobStatus): FinishedJobStatus | undefined {
  return isTerminalJobStatus(status) ? status : undefined;
}

/** A status as the service spells it, whatever the case (event payloads vary; British 'Cancelled' too). */
export function normalizeJobStatus(raw: string): string {
  const lower = raw.toLowerCase();
  if (lower === 'cancelled') return 'Canceled';
  return FINISHED_JOB_STATUSES.find((s) => s.toLowerCase() === lower) ?? raw;
}
