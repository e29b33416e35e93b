// RunInstances (src/runs/runInstances.ts) over the real DurableClient, the `durableClient` extra
// input of a function: it talks to the Functions host's durable HTTP API, which only a host
// provides (dev/host serves it; the end-to-end tests exercise this adapter through it).
import type { DurableClient } from 'durable-functions';
import { FunctionName } from '../names.js';
import type { FineTuneInput, LineInput } from '../orchestration/contract.js';
import type { LineInstances } from '../runs/lineMessaging.js';
import type { RunInstance, RunInstances } from '../runs/runInstances.js';

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

/**
 * One orchestrator's instances over the real DurableClient (the `durableClient` extra input of the
 * function): the runs (fineTuneOrchestrator) and the lines (lineOrchestrator) differ only in the
 * orchestrator they start, whether a status read carries the input, and which instances a list keeps.
 */
class DurableInstances<I> {
  constructor(
    private readonly client: DurableClient,
    private readonly orchestrator: string,
    private readonly options: {
      readonly showInput: boolean;
      readonly listed: (name: string | undefined) => boolean;
    },
  ) {}

  async start(instanceId: string, input: I): Promise<'started' | 'exists'> {
    try {
      await this.client.startNew(this.orchestrator, { instanceId, input });
      return 'started';
    } catch (error) {
      // check-then-start races with a concurrent start of the same instance: the loser sees 409
      // (host.json sets overridableExistingInstanceStates=NonRunningStates: a running one is never replaced)
      if (ALREADY_EXISTS.test(messageOf(error))) return 'exists';
      throw error;
    }
  }

  async get(instanceId: string): Promise<RunInstance | undefined> {
    try {
      // The durable client puts the id in its URL as given: encode it (ids are checked against
      // their pattern at the entry points too, but this adapter does not rely on that).
      const status = await this.client.getStatus(encodeURIComponent(instanceId), {
        showInput: this.options.showInput,
      });
      return toInstance(status);
    } catch (error) {
      if (NOT_FOUND.test(messageOf(error))) return undefined;
      throw error;
    }
  }

  async list(): Promise<RunInstance[]> {
    const all = (await this.client.getStatusAll()) as unknown as RawStatus[];
    return all.filter((s) => this.options.listed(s.name)).map(toInstance);
  }

  async raise(instanceId: string, eventName: string, payload: unknown): Promise<void> {
    await this.client.raiseEvent(encodeURIComponent(instanceId), eventName, payload);
  }
}

/** RunInstances over the real DurableClient: the fine-tune runs (an unnamed status counts as one). */
export class DurableRunInstances extends DurableInstances<FineTuneInput> implements RunInstances {
  constructor(client: DurableClient) {
    super(client, FunctionName.fineTuneOrchestrator, {
      showInput: true,
      listed: (name) => name === undefined || name === FunctionName.fineTuneOrchestrator,
    });
  }
}

/** LineInstances over the real DurableClient: the line orchestrations (`line-<line id>`). */
export class DurableLineInstances extends DurableInstances<LineInput> implements LineInstances {
  constructor(client: DurableClient) {
    super(client, FunctionName.lineOrchestrator, {
      showInput: false,
      listed: (name) => name === FunctionName.lineOrchestrator,
    });
  }
}
