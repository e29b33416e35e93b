// The four things the entry points need from Durable Functions, behind a small port. Handler
// logic is tested with a recording in-memory implementation: the real DurableClient talks to the
// Functions host's durable HTTP API, which only a host provides (the local host on branch `host`
// serves it, and the end-to-end tests exercise this adapter through it).
import type { DurableClient } from 'durable-functions';
import { FunctionName } from '../names.js';
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

interface RawStatus {
  readonly name?: string;
  readonly instanceId: string;
  readonly runtimeStatus: string;
  readonly createdTime: Date | string;
  readonly input?: unknown;
  readonly customStatus?: unknown;
  readonly output?: unknown;
}

function toInstance(status: RawStatus): RunInstance {
  const created =
    status.createdTime instanceof Date ? status.createdTime.toISOString() : String(status.createdTime);
  return {
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    createdTime: created,
    input: status.input ?? undefined,
    customStatus: status.customStatus ?? undefined,
    output: status.output ?? undefined,
  };
}

const NOT_FOUND = /HTTP 404|not find any data|No instance with ID/i;
const ALREADY_EXISTS = /already exists|HTTP 409|status code 409|\b409\b/i;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** RunInstances over the real DurableClient (the `durableClient` extra input of the function). */
export class DurableRunInstances implements RunInstances {
  constructor(private readonly client: DurableClient) {}

  async start(instanceId: string, input: FineTuneInput): Promise<'started' | 'exists'> {
    try {
      await this.client.startNew(FunctionName.fineTuneOrchestrator, { instanceId, input });
      return 'started';
    } catch (error) {
      // check-then-start races with a concurrent start of the same run: the loser sees 409
      if (ALREADY_EXISTS.test(messageOf(error))) return 'exists';
      throw error;
    }
  }

  async get(instanceId: string): Promise<RunInstance | undefined> {
    try {
      const status = await this.client.getStatus(instanceId, { showInput: true });
      return toInstance(status);
    } catch (error) {
      if (NOT_FOUND.test(messageOf(error))) return undefined;
      throw error;
    }
  }

  async list(): Promise<RunInstance[]> {
    const all = (await this.client.getStatusAll()) as unknown as RawStatus[];
    return all
      .filter((s) => s.name === undefined || s.name === FunctionName.fineTuneOrchestrator)
      .map(toInstance);
  }

  async raise(instanceId: string, eventName: string, payload: unknown): Promise<void> {
    await this.client.raiseEvent(instanceId, eventName, payload);
  }
}
