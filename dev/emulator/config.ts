// What the emulator is seeded with: the workspace identity, its computes, the region's VM sizes and
// usages, and the `azureml` registry's models and components. The VM sizes, models and component
// versions are the recorded facts (facts/*.json, each naming its public source). A config file (JSON)
// may override any top-level key; everything not given keeps the defaults below (the local workspace
// identity of docs/emulator.md "What it emulates").
import { readFileSync } from 'node:fs';
import { COMPONENT_FACTS, MODEL_FACTS, VM_SIZE_FACTS } from './facts.js';

export interface VmSizeSeed {
  name: string;
  family: string;
  vCPUs: number;
  gpus: number;
  memoryGB: number;
}

export interface ComputeSeed {
  name: string;
  vmSize: string;
  provisioningState: 'Succeeded' | 'Failed';
  minNodeCount: number;
  maxNodeCount: number;
  /** Why provisioning failed (only for provisioningState Failed). */
  failureMessage?: string;
}

/**
 * The vCPU quota of one VM family (the VM size list's family string, e.g. standardNCADSA100v4Family).
 * `usages.list` names its rows in the service's naming (`Standard NCADSA100v4 Family Cluster Dedicated
 * vCPUs`, facts/usages.json) at subscription, workspace and cluster scope. limit -1 = no limit.
 */
export interface UsageSeed {
  family: string;
  currentValue: number;
  limit: number;
  lowPriorityCurrentValue?: number;
  lowPriorityLimit?: number;
}

export interface RegistryModelSeed {
  name: string;
  version: string;
  createdTime: string;
  description?: string;
  /** Tags as the real registry has them: Python-literal strings for lists and dicts. */
  tags: Record<string, string>;
  properties?: Record<string, string>;
  isArchived?: boolean;
}

/** A registry component and which of its recorded versions (facts/chat_completion_pipeline.json) it serves. */
export interface RegistryComponentSeed {
  name: string;
  versions: string[];
}

export interface ClockSettings {
  /** Simulated wall time of a whole pipeline job, from submission to its final status. */
  jobSeconds: number;
  /** Simulated duration of a long-running ARM operation (endpoint/deployment create and delete, cancel). */
  lroSeconds: number;
}

/** Faults injected through the admin API or the config file (see faults.ts). */
export type FaultSpec =
  | { operation: string; status: number; retryAfterSeconds?: number; count?: number; message?: string }
  | { operation: string; delayMs: number; count?: number }
  | { operation: string; provisioningState: 'Failed'; message?: string; count?: number }
  | { delivery: 'drop' | 'duplicate' | 'delay' | 'reorder'; count?: number; delayMs?: number };

export interface SubscriptionSeed {
  endpointUrl: string;
  eventTypes?: string[];
}

export interface DeliverySettings {
  /** First retry delay of a failed Event Grid delivery; doubles per attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts before an event is dead-lettered (counted in the admin state). */
  maxAttempts: number;
}

export interface EmulatorConfig {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  datastores: string[];
  computes: ComputeSeed[];
  vmSizes: VmSizeSeed[];
  usages: UsageSeed[];
  registry: {
    name: string;
    subscriptionId: string;
    resourceGroup: string;
    models: RegistryModelSeed[];
    components: RegistryComponentSeed[];
  };
  clock: ClockSettings;
  delivery: DeliverySettings;
  faults: FaultSpec[];
  subscriptions: Record<string, SubscriptionSeed>;
  /**
   * The date lifecycle checks compare with (model FinetuneRetirementDate, VM size retirement), as an
   * ISO date; default: the real clock.
   */
  lifecycleDate?: string;
  /**
   * Give child (node and step) run events the job's tags too. Off by default (the emulator's reading);
   * on, it shows whether a consumer tells a step's event from its job's by more than the tags.
   */
  childEventsCarryJobTags?: boolean;
  /**
   * How long after a minute ends its RequestsPerMinute data is reported; until then the minute comes
   * back without a value, like a minute without requests. Default 0 (the current minute is reported).
   */
  metricsLatencySeconds?: number;
  /**
   * Report 0 for ingested minutes of an endpoint's life without requests (a metric declared
   * fillGapWithZero). Unconfirmed for RequestsPerMinute in Azure; off, such minutes carry the
   * timestamp alone. The local stack turns it on so its idle teardown has evidence to act on.
   */
  metricsFillGapWithZero?: boolean;
  /**
   * Shape run events like the Event Grid schema's examples (facts/events.json): runType null,
   * RunStatusChanged's runStatus in lower case, RunCompleted without runStatus, dataVersion ''.
   * Off by default (the emulator then sends the PascalCase statuses the jobs API uses).
   */
  runEventsLikeExamples?: boolean;
}

export const defaultConfig: EmulatorConfig = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg-autopilot-local',
  workspace: 'mlw-autopilot-local',
  location: 'eastus',
  datastores: ['trainingdata', 'workspaceblobstore'],
  computes: [
    {
      name: 'gpu-cluster',
      vmSize: 'Standard_NC24ads_A100_v4',
      provisioningState: 'Succeeded',
      minNodeCount: 0,
      maxNodeCount: 2,
    },
    {
      name: 'cpu-cluster',
      vmSize: 'Standard_DS3_v2',
      provisioningState: 'Succeeded',
      minNodeCount: 0,
      maxNodeCount: 4,
    },
    {
      name: 'failed-cluster',
      vmSize: 'Standard_NC24ads_A100_v4',
      provisioningState: 'Failed',
      minNodeCount: 0,
      maxNodeCount: 1,
      failureMessage:
        'Operation could not be completed as it results in exceeding approved standardNCADSA100v4Family Cores quota.',
    },
    {
      // A cluster created before its VM size was retired: the resource still exists, it cannot run.
      name: 'v100-cluster',
      vmSize: 'Standard_NC24rs_v3',
      provisioningState: 'Succeeded',
      minNodeCount: 0,
      maxNodeCount: 1,
    },
  ],
  vmSizes: VM_SIZE_FACTS.sizes.map((s) => ({ ...s })),
  usages: [
    {
      family: 'standardNCADSA100v4Family',
      currentValue: 0,
      limit: 96,
      lowPriorityCurrentValue: 0,
      lowPriorityLimit: -1,
    },
    {
      family: 'standardDSv2Family',
      currentValue: 4,
      limit: 100,
      lowPriorityCurrentValue: 0,
      lowPriorityLimit: -1,
    },
    {
      family: 'standardNCSv3Family',
      currentValue: 0,
      limit: 0,
      lowPriorityCurrentValue: 0,
      lowPriorityLimit: -1,
    },
  ],
  registry: {
    name: 'azureml',
    subscriptionId: '6c6683e9-e5fe-4038-8519-ce6ebec2ba15',
    resourceGroup: 'registry-builtin-prod-eastus-01',
    models: MODEL_FACTS.models.map((m) => ({
      name: m.name,
      version: m.version,
      createdTime: new Date(Date.parse(m.createdTime)).toISOString(),
      tags: { ...m.tags },
      properties: { ...m.properties },
      isArchived: m.isArchived,
    })),
    components: [{ name: COMPONENT_FACTS.name, versions: Object.keys(COMPONENT_FACTS.versions) }],
  },
  clock: { jobSeconds: 60, lroSeconds: 5 },
  delivery: { retryBaseMs: 250, retryMaxMs: 30_000, maxAttempts: 30 },
  faults: [],
  subscriptions: {},
};

/**
 * The registry models as their current specs have them (after Azure/azureml-assets commit 041983980392,
 * June 2026): tags keep only model_specific_defaults (and a vanity-registry tag); allow lists and
 * lifecycle dates live in system metadata, which no public spec shows on the wire, so they are not
 * served. For testing a client that must say "not checked" when it finds no allow list:
 * `config.registry.models = currentSpecModels()`.
 */
export function currentSpecModels(): RegistryModelSeed[] {
  return MODEL_FACTS.models.map((m) => ({
    name: m.name,
    version: m.version,
    createdTime: new Date(Date.parse(m.createdTime)).toISOString(),
    tags: { ...m.currentSpec.tags },
    properties: {},
    isArchived: m.isArchived,
  }));
}

/** Defaults, overridden key by key (top level) by the given config object or JSON file. */
export function resolveConfig(input?: Partial<EmulatorConfig> | string): EmulatorConfig {
  if (input === undefined) return structuredClone(defaultConfig);
  let given: Partial<EmulatorConfig>;
  if (typeof input === 'string') {
    try {
      given = JSON.parse(readFileSync(input, 'utf8')) as Partial<EmulatorConfig>;
    } catch (error) {
      throw new Error(`emulator config ${input}: ${(error as Error).message}`);
    }
  } else {
    given = input;
  }
  const merged = { ...structuredClone(defaultConfig), ...structuredClone(given) };
  merged.clock = { ...defaultConfig.clock, ...given.clock };
  merged.delivery = { ...defaultConfig.delivery, ...given.delivery };
  return merged;
}
