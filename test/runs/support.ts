// Shared by the entry-point tests: a recording in-memory RunInstances (the real one needs the
// Functions host's durable HTTP API; test/adapters/durableRunInstances.test.ts covers it against a
// local server), settings as config.ts reads them, and a quiet real InvocationContext that keeps
// its logs.
import { createHash } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { createRunIndexClient, TableRunIndex } from '../../src/adapters/runIndex.js';
import { loadConfig, type AppConfig } from '../../src/config.js';
import type { FineTuneInput } from '../../src/orchestration/contract.js';
import type { RunInstance, RunInstances } from '../../src/runs/runInstances.js';

export class RecordingRunInstances implements RunInstances {
  readonly instances = new Map<string, RunInstance>();
  readonly started: { instanceId: string; input: FineTuneInput }[] = [];
  readonly raised: { instanceId: string; eventName: string; payload: unknown }[] = [];
  /** Simulates a concurrent start winning the race between get() and start(). */
  raceOnNextStart = false;
  private clock = Date.parse('2026-01-01T00:00:00Z');

  add(instance: Partial<RunInstance> & { instanceId: string }): void {
    this.instances.set(instance.instanceId, {
      runtimeStatus: 'Running',
      createdTime: this.tick(),
      ...instance,
    });
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  start(instanceId: string, input: FineTuneInput): Promise<'started' | 'exists'> {
    if (this.raceOnNextStart) {
      this.raceOnNextStart = false;
      this.add({ instanceId, input });
      return Promise.resolve('exists');
    }
    if (this.instances.has(instanceId)) return Promise.resolve('exists');
    this.started.push({ instanceId, input });
    this.add({ instanceId, input, runtimeStatus: 'Pending' });
    return Promise.resolve('started');
  }

  get(instanceId: string): Promise<RunInstance | undefined> {
    return Promise.resolve(this.instances.get(instanceId));
  }

  list(): Promise<RunInstance[]> {
    return Promise.resolve([...this.instances.values()]);
  }

  raise(instanceId: string, eventName: string, payload: unknown): Promise<void> {
    this.raised.push({ instanceId, eventName, payload });
    return Promise.resolve();
  }
}

export const WORKSPACE = {
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
  AZUREML_RESOURCE_GROUP: 'rg-autopilot-local',
  AZUREML_WORKSPACE: 'mlw-autopilot-local',
};

export function testConfig(storageConnectionString: string, extra: Record<string, string> = {}): AppConfig {
  return loadConfig({
    AzureWebJobsStorage: storageConnectionString,
    TRAINING_CONTAINER: 'training-data',
    ...WORKSPACE,
    AZUREML_LOCATION: 'eastus',
    AZUREML_REGISTRY_DISCOVERY_URL: 'https://127.0.0.1:1',
    JOB_POLL_INTERVAL_SECONDS: '30',
    JOB_DEADLINE_SECONDS: '3600',
    ...extra,
  });
}

export class LoggingContext extends InvocationContext {
  readonly lines: string[] = [];
  constructor(functionName: string) {
    super({
      functionName,
      invocationId: 'test-invocation',
      logHandler: (level, ...args) => this.lines.push(`${level}: ${args.map(String).join(' ')}`),
    });
  }
}

/**
 * The line a run of `line` is given under testConfig's workspace with the default rollout settings
 * (docs/lines.md): the endpoint name computed here from the documented formula, not by the app.
 */
export function expectedLine(line: string, pollSeconds = 30): Record<string, unknown> {
  const ws = `/subscriptions/${WORKSPACE.AZURE_SUBSCRIPTION_ID}/resourceGroups/${WORKSPACE.AZUREML_RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE.AZUREML_WORKSPACE}`;
  const hash = createHash('sha256').update(`${ws.toLowerCase()}\n${line}`).digest('hex').slice(0, 8);
  return {
    id: line,
    endpointName: `${line.slice(0, 20)}-${hash}`,
    settings: {
      canaryPercent: 0,
      bakeSeconds: 600,
      drainSeconds: 300,
      compare: 'none',
      compareMetric: 'eval_loss',
      pollSeconds,
      deadlineSeconds: 5400,
      // Standard_NC24ads_A100_v4 (the default INFERENCE_INSTANCE_TYPE) x 1 at the table's $3.67/h
      hourlyCostUsd: 3.67,
    },
  };
}

let indexTables = 0;

/** A run index over its own, new table of the given (Azurite) storage: cases do not see each other's rows. */
export function freshRunIndex(config: AppConfig): TableRunIndex {
  const client = createRunIndexClient(config.storage, `runindex${process.pid}x${++indexTables}`);
  return new TableRunIndex(() => client);
}
