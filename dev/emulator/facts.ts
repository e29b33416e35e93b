// The recorded facts the emulator serves and enforces, loaded from facts/*.json. Each file names the
// public file (repository, path, commit) its values were read from; this module only gives them types.
// The emulator never takes these readings from the app (src/): two independent readings catch each
// other's mistakes.
import pipelineFacts from './facts/chat_completion_pipeline.json' with { type: 'json' };
import metricFacts from './facts/metrics.json' with { type: 'json' };
import modelFacts from './facts/registry-models.json' with { type: 'json' };
import scoringFacts from './facts/scoring.json' with { type: 'json' };
import stepMetricFacts from './facts/step-metrics.json' with { type: 'json' };
import topicFacts from './facts/topics.json' with { type: 'json' };
import usageFacts from './facts/usages.json' with { type: 'json' };
import vmSizeFacts from './facts/vm-sizes.json' with { type: 'json' };

/** One declared input of a component version, as its spec.yaml has it (descriptions left out). */
export interface DeclaredInput {
  type: string;
  optional?: boolean;
  default?: string | number | boolean;
  enum?: string[];
  min?: number;
  max?: number;
  mode?: string;
}

/** A child step of the pipeline component: the component it runs and the bindings that place it. */
export interface DeclaredStep {
  component: string;
  compute?: string | null;
  instanceType?: string;
  instanceCount?: string;
  outputs?: Record<string, string>;
}

export interface ComponentVersionFacts {
  commit: string;
  committedAt: string;
  inputs: Record<string, DeclaredInput>;
  outputs: Record<string, { type: string; mode?: string }>;
  jobs: Record<string, DeclaredStep>;
}

export interface ComponentFacts {
  source: { repository: string; path: string };
  name: string;
  registry: string;
  pinned: string;
  latest: string;
  versions: Record<string, ComponentVersionFacts>;
}

export const COMPONENT_FACTS = pipelineFacts as unknown as ComponentFacts;

export interface RegistryModelFacts {
  name: string;
  version: string;
  createdTime: string;
  isArchived: boolean;
  tags: Record<string, string>;
  properties: Record<string, string>;
  /** The spec after the 2026-06 migration: allow lists and lifecycle moved to system metadata. */
  currentSpec: { commit: string; tags: Record<string, string> };
}

export const MODEL_FACTS = modelFacts as unknown as { models: RegistryModelFacts[] };

export interface VmSizeFacts {
  name: string;
  family: string;
  vCPUs: number;
  gpus: number;
  memoryGB: number;
}

export const VM_SIZE_FACTS = vmSizeFacts as unknown as {
  sizes: VmSizeFacts[];
  retired: { names: string[]; retiredOn: string; source: string }[];
};

export const USAGE_FACTS = usageFacts as unknown as {
  scopes: Record<'subscription' | 'workspace' | 'cluster', { type: string }>;
  totals: { name: string; type: string }[];
  quotas: { scopes: Record<'subscription' | 'workspace', { type: string }> };
};

export const METRIC_FACTS = metricFacts as unknown as {
  metric: { name: string; resourceType: string; unit: string; defaultAggregation: string; timeGrain: string };
};

export const SCORING_FACTS = scoringFacts as unknown as { roles: string[] };

export const STEP_METRIC_FACTS = stepMetricFacts as unknown as {
  steps: { chat_completion_finetune: { perLoggingStep: string[]; perEvaluation: string[]; atEnd: string[] } };
};

export const TOPIC_FACTS = topicFacts as unknown as {
  publish: { apiVersion: string; contentType: string; requiredAttributes: string[] };
  auth: { entraId: { audience: string } };
  limits: { batchBytes: number; eventBytesPreview: number };
};

/** The retirement of a VM size (case-insensitive), if the recorded retirements list it. */
export function vmSizeRetirement(name: string): { retiredOn: string; source: string } | undefined {
  const found = VM_SIZE_FACTS.retired.find((r) =>
    r.names.some((n) => n.toLowerCase() === name.toLowerCase()),
  );
  return found === undefined ? undefined : { retiredOn: found.retiredOn, source: found.source };
}

/** `standardNCADSA100v4Family` -> `NCADSA100v4`: the part the usage rows name (facts/usages.json). */
export function usageFamilyPart(family: string): string {
  return family.replace(/^standard/i, '').replace(/Family$/i, '');
}
