// The four things the entry points need from Durable Functions, behind a small port. The adapter
// over the real DurableClient is src/adapters/durableRunInstances.ts (built in src/composition.ts);
// handler logic is tested with a recording in-memory implementation (test/runs/support.ts).
import type { FineTuneInput } from '../orchestration/contract.js';

/** Durable runtime status as the extension reports it: Running, Completed, Failed, Terminated, Pending, ... */
export type RuntimeStatus = string;

export interface RunInstance {
  readonly instanceId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: string;
  readonly input?: unknown;
  readonly customStatus?: unknown;
  readonly output?: unknown;
}

export interface RunInstances {
  /** Starts the orchestration under `instanceId`; 'exists' when an instance with that id already exists. */
  start(instanceId: string, input: FineTuneInput): Promise<'started' | 'exists'>;
  get(instanceId: string): Promise<RunInstance | undefined>;
  /** Every fine-tune run instance (the JS client follows the extension's continuation tokens itself). */
  list(): Promise<RunInstance[]>;
  raise(instanceId: string, eventName: string, payload: unknown): Promise<void>;
}

/** Instances that are still alive: events can only be raised on these. */
export const ACTIVE_STATUSES: readonly RuntimeStatus[] = [
  'Running',
  'Pending',
  'ContinuedAsNew',
  'Suspended',
];

/** Ids of the runs still in progress (the teardown leaves their endpoints alone). */
export async function activeRunIds(runs: RunInstances): Promise<Set<string>> {
  const all = await runs.list();
  return new Set(
    all.filter((run) => ACTIVE_STATUSES.includes(run.runtimeStatus)).map((run) => run.instanceId),
  );
}
