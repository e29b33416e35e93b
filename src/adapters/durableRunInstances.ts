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
      // The durable client puts the id in its URL as given: encode it (run ids are checked
      // against their pattern at the entry points too, but this adapter does not rely on that).
      const status = await this.client.getStatus(encodeURIComponent(instanceId), { showInput: true });
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
    await this.client.raiseEvent(encodeURIComponent(instanceId), eventName, payload);
  }
}

/** LineInstances over the real DurableClient: the line orchestrations (`line-<line id>`). */
export class DurableLineInstances implements LineInstances {
  constructor(private readonly client: DurableClient) {}

  async start(instanceId: string, input: LineInput): Promise<'started' | 'exists'> {
    try {
      // host.json sets overridableExistingInstanceStates=NonRunningStates: a running line is never replaced
      await this.client.startNew(FunctionName.lineOrchestrator, { instanceId, input });
      return 'started';
    } catch (error) {
      if (ALREADY_EXISTS.test(messageOf(error))) return 'exists';
      throw error;
    }
  }

  async get(instanceId: string): Promise<RunInstance | undefined> {
    try {
      const status = await this.client.getStatus(encodeURIComponent(instanceId), { showInput: false });
      return toInstance(status);
    } catch (error) {
      if (NOT_FOUND.test(messageOf(error))) return undefined;
      throw error;
    }
  }

  async list(): Promise<RunInstance[]> {
    const all = (await this.client.getStatusAll()) as unknown as RawStatus[];
    return all.filter((s) => s.name === FunctionName.lineOrchestrator).map(toInstance);
  }

  async raise(instanceId: string, eventName: string, payload: unknown): Promise<void> {
    await this.client.raiseEvent(encodeURIComponent(instanceId), eventName, payload);
  }
}
