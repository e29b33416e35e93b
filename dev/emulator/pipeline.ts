// The emulator's own reading of the `chat_completion_pipeline` registry component and of how Azure ML
// validates a PipelineJob body at submission (PUT jobs/{name}). Kept independent from the app on purpose:
// two readings of the same spec catch each other's mistakes.
import type { ErrorDetail } from './http.js';
import { isRecord } from './http.js';

type InputKind =
  | { type: 'uri_file' | 'uri_folder' | 'mlflow_model' | 'custom_model' }
  | { type: 'integer'; min?: number; allow?: number[] }
  | { type: 'number'; min?: number }
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'enum'; values: string[] }
  | { type: 'compute' };

const int = (min?: number, allow?: number[]): InputKind => ({
  type: 'integer',
  ...(min === undefined ? {} : { min }),
  ...(allow ? { allow } : {}),
});
const bool: InputKind = { type: 'boolean' };
const str: InputKind = { type: 'string' };
const compute: InputKind = { type: 'compute' };

/** Inputs of chat_completion_pipeline (the subset of the component's interface this emulator knows). */
export const COMPONENT_INPUTS: Record<string, InputKind> = {
  mlflow_model_path: { type: 'mlflow_model' },
  pytorch_model_path: { type: 'custom_model' },
  train_file_path: { type: 'uri_file' },
  validation_file_path: { type: 'uri_file' },
  test_file_path: { type: 'uri_file' },
  compute_model_import: compute,
  compute_preprocess: compute,
  compute_finetune: compute,
  compute_model_evaluation: compute,
  instance_type_model_import: str,
  instance_type_preprocess: str,
  instance_type_finetune: str,
  instance_type_model_evaluation: str,
  number_of_gpu_to_use_finetuning: int(1),
  num_nodes_finetune: int(1),
  num_train_epochs: int(1),
  max_steps: int(-1),
  per_device_train_batch_size: int(1),
  per_device_eval_batch_size: int(1),
  auto_find_batch_size: bool,
  learning_rate: { type: 'number', min: 0 },
  lr_scheduler_type: {
    type: 'enum',
    values: ['linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup'],
  },
  warmup_steps: int(0),
  optim: { type: 'enum', values: ['adamw_hf', 'adamw_torch', 'adafactor'] },
  weight_decay: { type: 'number', min: 0 },
  gradient_accumulation_steps: int(1),
  max_seq_length: int(1, [-1]),
  apply_lora: bool,
  lora_r: int(1),
  lora_alpha: int(1),
  lora_dropout: { type: 'number', min: 0 },
  apply_deepspeed: bool,
  deepspeed_stage: { type: 'enum', values: ['2', '3'] },
  apply_ort: bool,
  precision: { type: 'enum', values: ['16', '32'] },
  save_total_limit: int(1, [-1]),
  seed: int(0),
  evaluation_strategy: { type: 'enum', values: ['epoch', 'steps'] },
  eval_steps: int(1),
  logging_strategy: { type: 'enum', values: ['epoch', 'steps'] },
  logging_steps: int(1),
  metric_for_best_model: str,
  ignore_mismatched_sizes: bool,
  enable_full_determinism: bool,
  early_stopping: bool,
};

export const COMPONENT_OUTPUTS = ['pytorch_model_folder', 'mlflow_model_folder'];

export const COMPONENT_NAME = 'chat_completion_pipeline';

/** Pipeline steps in the order they run; each becomes a child run. `compute` names the input that places it. */
export const PIPELINE_STEPS = [
  { step: 'model_import', compute: 'compute_model_import' },
  { step: 'preprocess', compute: 'compute_preprocess' },
  { step: 'finetune', compute: 'compute_finetune' },
  { step: 'model_evaluation', compute: 'compute_model_evaluation' },
] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number]['step'];

export interface ValidationContext {
  registryName: string;
  components: Record<string, string[]>;
  registryModels: { name: string; version: string }[];
  datastores: string[];
  computes: string[];
}

/** What a valid job resolved to: used to plan its run (computes per step, literal values). */
export interface ResolvedPipeline {
  nodeName: string;
  componentId: string;
  literals: Record<string, string>;
  computes: Partial<Record<PipelineStep, string>>;
  modelUri: string;
}

const BINDING = /^\$\{\{parent\.inputs\.([A-Za-z0-9_]+)\}\}$/;
const OUTPUT_BINDING = /^\$\{\{parent\.outputs\.([A-Za-z0-9_]+)\}\}$/;
const ASSET_TYPES = ['uri_file', 'uri_folder', 'mlflow_model', 'custom_model', 'mltable', 'triton_model'];
const INPUT_MODES = [
  'ReadOnlyMount',
  'ReadWriteMount',
  'Download',
  'Direct',
  'EvalMount',
  'EvalDownload',
  'ro_mount',
  'rw_mount',
  'download',
  'direct',
  'eval_mount',
  'eval_download',
];

/**
 * Validates `properties` of a PUT jobs/{name} body. Returns the problems (each with a target path) or the
 * resolved pipeline. The checks follow what the service enforces at submission: known job type, a
 * registry component that exists, inputs the component declares, asset inputs with a uri that
 * resolves, literal values as strings, and computes that exist in the workspace.
 */
export function validatePipelineJob(
  properties: unknown,
  ctx: ValidationContext,
): { ok: true; resolved: ResolvedPipeline } | { ok: false; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const problem = (target: string, message: string) =>
    problems.push({ code: 'BadArgument', target, message });
  if (!isRecord(properties)) {
    problem('properties', "The job body must have an object 'properties'.");
    return { ok: false, problems };
  }
  if (properties.jobType !== 'Pipeline') {
    problem(
      'properties.jobType',
      `Job type '${String(properties.jobType)}' is not supported here; expected 'Pipeline'.`,
    );
    return { ok: false, problems };
  }

  // Top-level pipeline inputs (camelCase, typed by the SDK's mappers).
  const topInputs: Record<string, { type: string; uri?: string; value?: string }> = {};
  const rawTop = properties.inputs ?? {};
  if (!isRecord(rawTop)) problem('properties.inputs', "'inputs' must be an object.");
  else {
    for (const [name, raw] of Object.entries(rawTop)) {
      const at = `properties.inputs.${name}`;
      if (!isRecord(raw) || typeof raw.jobInputType !== 'string') {
        problem(at, `Pipeline input '${name}' must be an object with a 'jobInputType'.`);
        continue;
      }
      const type = raw.jobInputType;
      if (type === 'literal') {
        if (typeof raw.value !== 'string') {
          problem(
            `${at}.value`,
            `Pipeline input '${name}' is a literal; its 'value' must be a string, got ${describe(raw.value)}.`,
          );
        } else topInputs[name] = { type, value: raw.value };
      } else if (ASSET_TYPES.includes(type)) {
        if (typeof raw.uri !== 'string' || raw.uri === '') {
          problem(
            `${at}.uri`,
            `Pipeline input '${name}' of type ${type} has no 'uri': an asset input must name the data or model it reads.`,
          );
        } else {
          checkMode(raw.mode, `${at}.mode`, problem);
          topInputs[name] = { type, uri: raw.uri };
        }
      } else problem(`${at}.jobInputType`, `Pipeline input '${name}' has unknown jobInputType '${type}'.`);
    }
  }
  const topOutputs = new Set<string>();
  if (properties.outputs !== undefined) {
    if (!isRecord(properties.outputs)) problem('properties.outputs', "'outputs' must be an object.");
    else
      for (const [name, raw] of Object.entries(properties.outputs)) {
        if (!isRecord(raw) || typeof raw.jobOutputType !== 'string') {
          problem(
            `properties.outputs.${name}`,
            `Pipeline output '${name}' must be an object with a 'jobOutputType'.`,
          );
        } else topOutputs.add(name);
      }
  }

  const jobs = properties.jobs;
  if (!isRecord(jobs) || Object.keys(jobs).length === 0) {
    problem('properties.jobs', "A pipeline job needs at least one node in 'jobs'.");
    return { ok: false, problems };
  }
  if (Object.keys(jobs).length > 1) {
    problem(
      'properties.jobs',
      `This workspace runs one ${COMPONENT_NAME} node per pipeline job; got ${Object.keys(jobs).length} nodes.`,
    );
    return { ok: false, problems };
  }
  const [nodeName, node] = Object.entries(jobs)[0]!;
  const base = `properties.jobs.${nodeName}`;
  if (!isRecord(node)) {
    problem(base, `Node '${nodeName}' must be an object.`);
    return { ok: false, problems };
  }
  const componentId = typeof node.componentId === 'string' ? node.componentId : node.component;
  if (typeof componentId !== 'string') {
    problem(`${base}.componentId`, `Node '${nodeName}' has no 'componentId'.`);
  } else {
    const why = checkComponentId(componentId, ctx);
    if (why !== undefined) problem(`${base}.componentId`, why);
  }
  if (node.type !== undefined && node.type !== 'pipeline') {
    problem(
      `${base}.type`,
      `Node '${nodeName}' runs a pipeline component; its type must be 'pipeline', got ${JSON.stringify(node.type)}.`,
    );
  }

  const literals: Record<string, string> = {};
  const assets: Record<string, string> = {};
  const nodeInputs = node.inputs ?? {};
  if (!isRecord(nodeInputs)) problem(`${base}.inputs`, "'inputs' must be an object.");
  else
    for (const [name, raw] of Object.entries(nodeInputs)) {
      const at = `${base}.inputs.${name}`;
      const kind = COMPONENT_INPUTS[name];
      if (kind === undefined) {
        problem(at, `Input '${name}' is not an input of ${COMPONENT_NAME}.`);
        continue;
      }
      if (!isRecord(raw) || typeof raw.job_input_type !== 'string') {
        problem(at, `Input '${name}' must be an object with 'job_input_type'.`);
        continue;
      }
      const type = raw.job_input_type;
      let resolved: { type: string; uri?: string; value?: string } | undefined;
      if (type === 'literal') {
        if (typeof raw.value !== 'string') {
          problem(
            `${at}.value`,
            `Input '${name}' is a literal; its 'value' must be a string, got ${describe(raw.value)}.`,
          );
          continue;
        }
        const binding = BINDING.exec(raw.value);
        if (binding) {
          const target = topInputs[binding[1]!];
          if (target === undefined) {
            problem(
              `${at}.value`,
              `Input '${name}' binds to pipeline input '${binding[1]}', which is not defined (or is invalid) in properties.inputs.`,
            );
            continue;
          }
          resolved = target;
        } else resolved = { type: 'literal', value: raw.value };
      } else if (ASSET_TYPES.includes(type)) {
        if (typeof raw.uri !== 'string' || raw.uri === '') {
          problem(`${at}.uri`, `Input '${name}' of type ${type} has no 'uri'.`);
          continue;
        }
        checkMode(raw.mode, `${at}.mode`, problem);
        resolved = { type, uri: raw.uri };
      } else {
        problem(`${at}.job_input_type`, `Input '${name}' has unknown job_input_type '${type}'.`);
        continue;
      }
      const why = checkInput(name, kind, resolved, ctx);
      if (why !== undefined) problem(at, why);
      else if (resolved.type === 'literal') literals[name] = resolved.value!;
      else assets[name] = resolved.uri!;
    }

  if (assets.mlflow_model_path === undefined && assets.pytorch_model_path === undefined) {
    problem(
      `${base}.inputs`,
      `${COMPONENT_NAME} needs a model: input 'mlflow_model_path' (or 'pytorch_model_path') is missing.`,
    );
  }
  if (assets.train_file_path === undefined) {
    problem(
      `${base}.inputs.train_file_path`,
      `${COMPONENT_NAME} needs training data: input 'train_file_path' is missing.`,
    );
  }

  const nodeOutputs = node.outputs ?? {};
  if (!isRecord(nodeOutputs)) problem(`${base}.outputs`, "'outputs' must be an object.");
  else
    for (const [name, raw] of Object.entries(nodeOutputs)) {
      const at = `${base}.outputs.${name}`;
      if (!COMPONENT_OUTPUTS.includes(name)) {
        problem(
          at,
          `Output '${name}' is not an output of ${COMPONENT_NAME} (it has ${COMPONENT_OUTPUTS.join(', ')}).`,
        );
        continue;
      }
      if (isRecord(raw) && typeof raw.value === 'string') {
        const binding = OUTPUT_BINDING.exec(raw.value);
        if (binding && !topOutputs.has(binding[1]!)) {
          problem(
            `${at}.value`,
            `Output '${name}' binds to pipeline output '${binding[1]}', which is not defined in properties.outputs.`,
          );
        }
      }
    }

  if (properties.computeId !== undefined) {
    const name = typeof properties.computeId === 'string' ? properties.computeId.split('/').pop() : undefined;
    if (name === undefined || !ctx.computes.includes(name)) {
      problem(
        'properties.computeId',
        `Compute ${JSON.stringify(properties.computeId)} does not exist in this workspace.`,
      );
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  const computes: Partial<Record<PipelineStep, string>> = {};
  for (const { step, compute: input } of PIPELINE_STEPS) computes[step] = literals[input] ?? 'serverless';
  return {
    ok: true,
    resolved: {
      nodeName,
      componentId: componentId as string,
      literals,
      computes,
      modelUri: assets.mlflow_model_path ?? assets.pytorch_model_path!,
    },
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkMode(mode: unknown, at: string, problem: (target: string, message: string) => void): void {
  if (mode !== undefined && (typeof mode !== 'string' || !INPUT_MODES.includes(mode))) {
    problem(at, `Input mode ${JSON.stringify(mode)} is not one of ${INPUT_MODES.slice(0, 6).join(', ')}.`);
  }
}

function checkComponentId(id: string, ctx: ValidationContext): string | undefined {
  const match = /^azureml:\/\/registries\/([^/]+)\/components\/([^/]+)\/(labels|versions)\/([^/]+)$/.exec(id);
  if (!match) {
    return `Component id '${id}' is not a registry component reference (azureml://registries/<registry>/components/<name>/versions/<version> or /labels/latest).`;
  }
  const [, registry, name, kind, ref] = match as unknown as [string, string, string, string, string];
  if (registry !== ctx.registryName) return `Registry '${registry}' was not found.`;
  const versions = ctx.components[name];
  if (versions === undefined) return `Component '${name}' was not found in registry '${registry}'.`;
  if (name !== COMPONENT_NAME)
    return `Component '${name}' is not supported by this emulator (only ${COMPONENT_NAME}).`;
  if (kind === 'labels' && ref !== 'latest')
    return `Component label '${ref}' does not exist (only 'latest').`;
  if (kind === 'versions' && !versions.includes(ref))
    return `Version '${ref}' of component '${name}' was not found.`;
  return undefined;
}

function checkInput(
  name: string,
  kind: InputKind,
  input: { type: string; uri?: string; value?: string },
  ctx: ValidationContext,
): string | undefined {
  if (['uri_file', 'uri_folder', 'mlflow_model', 'custom_model'].includes(kind.type)) {
    if (input.type !== kind.type) return `Input '${name}' expects a ${kind.type}, got ${input.type}.`;
    const uri = input.uri!;
    if (kind.type === 'mlflow_model' || kind.type === 'custom_model') return checkModelUri(uri, ctx);
    return checkDataUri(uri, ctx);
  }
  if (input.type !== 'literal') return `Input '${name}' expects a literal value, got ${input.type}.`;
  const value = input.value!;
  switch (kind.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(value)) return `Input '${name}' must be an integer (as a string), got '${value}'.`;
      const n = Number(value);
      if (kind.allow?.includes(n)) return undefined;
      if (kind.min !== undefined && n < kind.min) return `Input '${name}' must be >= ${kind.min}, got ${n}.`;
      return undefined;
    }
    case 'number': {
      if (value.trim() === '' || !Number.isFinite(Number(value)))
        return `Input '${name}' must be a number (as a string), got '${value}'.`;
      if (kind.min !== undefined && Number(value) < kind.min)
        return `Input '${name}' must be >= ${kind.min}, got ${value}.`;
      return undefined;
    }
    case 'boolean':
      return ['true', 'false', 'True', 'False'].includes(value)
        ? undefined
        : `Input '${name}' must be 'true' or 'false', got '${value}'.`;
    case 'enum':
      return kind.values.includes(value)
        ? undefined
        : `Input '${name}' must be one of ${kind.values.join(', ')}; got '${value}'.`;
    case 'compute':
      if (value === 'serverless' || ctx.computes.includes(value)) return undefined;
      return `Input '${name}': compute '${value}' does not exist in this workspace (use an existing compute or 'serverless').`;
    default:
      return undefined;
  }
}

function checkModelUri(uri: string, ctx: ValidationContext): string | undefined {
  const registry = /^azureml:\/\/registries\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)$/.exec(uri);
  if (registry) {
    const [, reg, name, version] = registry as unknown as [string, string, string, string];
    if (reg !== ctx.registryName) return `Registry '${reg}' was not found (model input '${uri}').`;
    if (!ctx.registryModels.some((m) => m.name === name && m.version === version)) {
      return `Model '${name}' version '${version}' was not found in registry '${reg}'.`;
    }
    return undefined;
  }
  if (/^azureml:\/\/registries\/[^/]+\/models\/[^/]+\/labels\//.test(uri)) {
    return `Model input '${uri}' uses a label; a job input needs an explicit version (.../versions/<version>).`;
  }
  return `Model input '${uri}' is not a registry model reference (azureml://registries/<registry>/models/<name>/versions/<version>).`;
}

function checkDataUri(uri: string, ctx: ValidationContext): string | undefined {
  const datastore = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.+)$/.exec(uri);
  if (datastore) {
    return ctx.datastores.includes(datastore[1]!)
      ? undefined
      : `Datastore '${datastore[1]}' does not exist in this workspace (uri '${uri}').`;
  }
  if (/^https:\/\/[^/]+\/.+/.test(uri)) return undefined;
  return `Data uri '${uri}' is not a datastore path (azureml://datastores/<datastore>/paths/<path>) or an https URL.`;
}
