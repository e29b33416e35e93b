// What the emulator is seeded with: the workspace identity, its computes, the region's VM sizes and
// usages, and the `azureml` registry's models and components. A config file (JSON) may override any
// top-level key; everything not given keeps the defaults below (the local workspace identity of
// docs/emulator.md "What it emulates").
import { readFileSync } from 'node:fs';

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

/** A usage row for one VM family (cores), as `usages.list(location)` returns it. */
export interface UsageSeed {
  family: string;
  currentValue: number;
  limit: number;
}

export interface RegistryModelSeed {
  name: string;
  version: string;
  createdTime: string;
  description?: string;
  /** Tags as the real registry has them: Python-literal strings for lists and dicts. */
  tags: Record<string, string>;
  properties?: Record<string, string>;
}

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
}

const FINETUNE_ALLOW_LIST =
  "['Standard_NC6s_v3', 'Standard_NC12s_v3', 'Standard_NC24s_v3', 'Standard_NC24rs_v3', 'Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND40rs_v2', 'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4']";
const INFERENCE_ALLOW_LIST =
  "['Standard_NC6s_v3', 'Standard_NC12s_v3', 'Standard_NC24s_v3', 'Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4']";

function phi3Tags(): Record<string, string> {
  return {
    author: 'Microsoft',
    license: 'mit',
    task: 'chat-completion',
    finetune_compute_allow_list: FINETUNE_ALLOW_LIST,
    inference_compute_allow_list: INFERENCE_ALLOW_LIST,
    evaluation_compute_allow_list: FINETUNE_ALLOW_LIST,
    model_specific_defaults:
      "{'apply_deepspeed': 'true', 'deepspeed_stage': '2', 'apply_lora': 'true', 'precision': '16', 'ignore_mismatched_sizes': 'false', 'max_seq_length': '2048'}",
    finetuning_tasks: 'chat-completion',
    hiddenlayerscanned: '',
  };
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
      vmSize: 'Standard_NC24rs_v3',
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
      vmSize: 'Standard_NC24rs_v3',
      provisioningState: 'Failed',
      minNodeCount: 0,
      maxNodeCount: 1,
      failureMessage:
        'Operation could not be completed as it results in exceeding approved standardNCSv3Family Cores quota.',
    },
  ],
  vmSizes: [
    { name: 'Standard_DS3_v2', family: 'standardDSv2Family', vCPUs: 4, gpus: 0, memoryGB: 14 },
    { name: 'Standard_NC6', family: 'standardNCFamily', vCPUs: 6, gpus: 1, memoryGB: 56 },
    { name: 'Standard_NC6s_v3', family: 'standardNCSv3Family', vCPUs: 6, gpus: 1, memoryGB: 112 },
    { name: 'Standard_NC12s_v3', family: 'standardNCSv3Family', vCPUs: 12, gpus: 2, memoryGB: 224 },
    { name: 'Standard_NC24s_v3', family: 'standardNCSv3Family', vCPUs: 24, gpus: 4, memoryGB: 448 },
    { name: 'Standard_NC24rs_v3', family: 'standardNCSv3Family', vCPUs: 24, gpus: 4, memoryGB: 448 },
    {
      name: 'Standard_NC24ads_A100_v4',
      family: 'standardNCADSA100v4Family',
      vCPUs: 24,
      gpus: 1,
      memoryGB: 220,
    },
    {
      name: 'Standard_NC96ads_A100_v4',
      family: 'standardNCADSA100v4Family',
      vCPUs: 96,
      gpus: 4,
      memoryGB: 880,
    },
  ],
  usages: [
    { family: 'standardNCSv3Family', currentValue: 0, limit: 48 },
    { family: 'standardDSv2Family', currentValue: 4, limit: 100 },
    { family: 'standardNCADSA100v4Family', currentValue: 0, limit: 0 },
    { family: 'standardNCFamily', currentValue: 0, limit: 24 },
  ],
  registry: {
    name: 'azureml',
    subscriptionId: '6c6683e9-e5fe-4038-8519-ce6ebec2ba15',
    resourceGroup: 'registry-builtin-prod-eastus-01',
    models: [
      {
        name: 'Phi-3-mini-4k-instruct',
        version: '13',
        createdTime: '2024-09-10T18:01:00.000Z',
        tags: phi3Tags(),
      },
      {
        name: 'Phi-3-mini-4k-instruct',
        version: '14',
        createdTime: '2024-11-05T21:30:00.000Z',
        tags: phi3Tags(),
      },
      {
        name: 'Phi-3-mini-4k-instruct',
        version: '15',
        createdTime: '2025-01-21T09:12:00.000Z',
        description: 'Phi-3 Mini-4K-Instruct: a 3.8B parameters, lightweight, state-of-the-art open model.',
        tags: phi3Tags(),
        properties: { SharedComputeCapacityEnabled: 'true', languages: 'en' },
      },
    ],
    components: [{ name: 'chat_completion_pipeline', versions: ['0.0.63', '0.0.64', '0.0.65'] }],
  },
  clock: { jobSeconds: 60, lroSeconds: 5 },
  delivery: { retryBaseMs: 250, retryMaxMs: 30_000, maxAttempts: 30 },
  faults: [],
  subscriptions: {},
};

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
