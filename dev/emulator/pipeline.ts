// The emulator's own reading of the `chat_completion_pipeline` registry component and of how Azure ML
// validates a PipelineJob body at submission (PUT jobs/{name}). The component's declared inputs, outputs
// and child steps come from the recorded spec of each version (facts/chat_completion_pipeline.json), never
// from the app: two readings of the same spec catch each other's mistakes.
import type { ComponentVersionFacts, DeclaredInput } from './facts.js';
import { vmSizeRetirement } from './facts.js';
import type { ErrorDetail } from './http.js';
import { isRecord } from './http.js';

export const COMPONENT_NAME = 'chat_completion_pipeline';

/** A version of a registry component as the emulator serves it. */
export interface ServedComponentVersion extends ComponentVersionFacts {
  name: string;
  version: string;
}

export interface ValidationContext {
  registryName: string;
  /** Served versions per component name, and the version `labels/latest` resolves to. */
  components: Record<string, { versions: Record<string, ServedComponentVersion>; latest: string }>;
  registryModels: { name: string; version: string; isArchived?: boolean; tags: Record<string, string> }[];
  datastores: string[];
  computes: { name: string; vmSize: string }[];
  /** The time lifecycle dates (model retirement, VM size retirement) are compared with. */
  lifecycleNow: number;
}

/** One child step of the submitted pipeline, with where it runs. */
export interface ResolvedStep {
  name: string;
  /** A compute name of the workspace, or 'serverless'. */
  compute: string;
  /** The VM size a serverless step asks for. */
  instanceType?: string;
}

/** What a valid job resolved to: used to plan its run (steps and their computes, literal values). */
export interface ResolvedPipeline {
  nodeName: string;
  componentId: string;
  componentVersion: string;
  literals: Record<string, string>;
  steps: ResolvedStep[];
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
 * resolved pipeline. The checks follow what the service enforces at submission: known job type, a node
 * that names a served registry component version under `componentId`, only inputs that version declares,
 * values inside their enum and range, asset inputs with a uri that resolves, a model that is neither
 * retired for fine-tuning nor archived, and steps whose computes exist and whose VM size is not retired.
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
  // The service's node carries `componentId` (the Python SDK serializes it so); the `jobs` map is
  // free-form, so a node keyed otherwise would not name any component.
  if ('component' in node && !('componentId' in node)) {
    problem(
      `${base}.component`,
      `Node '${nodeName}' has the key 'component'; a pipeline node names its registry component under 'componentId' (azureml://registries/<registry>/components/<name>/versions/<version>).`,
    );
    return { ok: false, problems };
  }
  if (typeof node.componentId !== 'string') {
    problem(`${base}.componentId`, `Node '${nodeName}' has no 'componentId'.`);
    return { ok: false, problems };
  }
  let component: ServedComponentVersion | undefined;
  const found = resolveComponent(node.componentId, ctx);
  if (typeof found === 'string') problem(`${base}.componentId`, found);
  else component = found;
  if (node.type !== undefined && node.type !== 'pipeline') {
    problem(
      `${base}.type`,
      `Node '${nodeName}' runs a pipeline component; its type must be 'pipeline', got ${JSON.stringify(node.type)}.`,
    );
  }
  if (component === undefined) return { ok: false, problems };
  const declared = `${component.name} ${component.version}`;

  const literals: Record<string, string> = {};
  const assets: Record<string, string> = {};
  const nodeInputs = node.inputs ?? {};
  if (!isRecord(nodeInputs)) problem(`${base}.inputs`, "'inputs' must be an object.");
  else
    for (const [name, raw] of Object.entries(nodeInputs)) {
      const at = `${base}.inputs.${name}`;
      const kind = component.inputs[name];
      if (kind === undefined) {
        problem(
          at,
          `Input '${name}' is not an input of ${declared} (registry component spec); remove it or use a component version that declares it.`,
        );
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
      const why = checkInput(name, kind, resolved, ctx, declared);
      if (why !== undefined) problem(at, why);
      else if (resolved.type === 'literal') literals[name] = resolved.value!;
      else assets[name] = resolved.uri!;
    }

  for (const [name, input] of Object.entries(component.inputs)) {
    if (input.optional === false && input.default === undefined && !(name in literals) && !(name in assets))
      problem(`${base}.inputs.${name}`, `${declared} requires input '${name}'.`);
  }
  if (assets.mlflow_model_path === undefined && assets.pytorch_model_path === undefined) {
    problem(
      `${base}.inputs`,
      `${declared} needs a model: input 'mlflow_model_path' (or 'pytorch_model_path') is missing.`,
    );
  }
  if (assets.train_file_path === undefined) {
    problem(
      `${base}.inputs.train_file_path`,
      `${declared} needs training data: input 'train_file_path' is missing.`,
    );
  }

  const nodeOutputs = node.outputs ?? {};
  const outputNames = Object.keys(component.outputs);
  if (!isRecord(nodeOutputs)) problem(`${base}.outputs`, "'outputs' must be an object.");
  else
    for (const [name, raw] of Object.entries(nodeOutputs)) {
      const at = `${base}.outputs.${name}`;
      if (!outputNames.includes(name)) {
        problem(at, `Output '${name}' is not an output of ${declared} (it has ${outputNames.join(', ')}).`);
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
    if (name === undefined || !ctx.computes.some((c) => c.name === name)) {
      problem(
        'properties.computeId',
        `Compute ${JSON.stringify(properties.computeId)} does not exist in this workspace.`,
      );
    }
  }

  // Where each child step runs: its compute binding, or serverless with its instance type binding
  // (the component's own default instance type when the job sets none).
  const steps: ResolvedStep[] = [];
  const bound = (binding: string | null | undefined): string | undefined => {
    const match = binding ? BINDING.exec(binding) : null;
    if (!match) return binding ?? undefined;
    const input = match[1]!;
    const fallback = component.inputs[input]?.default;
    return literals[input] ?? (fallback === undefined ? undefined : String(fallback));
  };
  for (const [stepName, step] of Object.entries(component.jobs)) {
    const compute = bound(step.compute) ?? 'serverless';
    const resolvedStep: ResolvedStep = { name: stepName, compute };
    let vmSize: string | undefined;
    let where: string;
    if (compute === 'serverless') {
      vmSize = bound(step.instanceType);
      if (vmSize !== undefined) resolvedStep.instanceType = vmSize;
      where = `serverless instance type ${vmSize}`;
    } else {
      vmSize = ctx.computes.find((c) => c.name === compute)?.vmSize;
      where = `compute '${compute}' (VM size ${vmSize})`;
    }
    const retired = vmSize === undefined ? undefined : vmSizeRetirement(vmSize);
    if (retired !== undefined && Date.parse(retired.retiredOn) <= ctx.lifecycleNow) {
      const input = (compute === 'serverless' ? step.instanceType : step.compute) ?? '';
      const inputName = BINDING.exec(input)?.[1] ?? stepName;
      problem(
        `${base}.inputs.${inputName}`,
        `Step '${stepName}' would run on ${where}, which was retired on ${retired.retiredOn}; choose a compute or instance type with a VM size that is not retired (e.g. Standard_NC24ads_A100_v4).`,
      );
    }
    steps.push(resolvedStep);
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    resolved: {
      nodeName,
      componentId: node.componentId,
      componentVersion: component.version,
      literals,
      steps,
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

/** The served component version a componentId names, or why it names none. */
function resolveComponent(id: string, ctx: ValidationContext): ServedComponentVersion | string {
  const match = /^azureml:\/\/registries\/([^/]+)\/components\/([^/]+)\/(labels|versions)\/([^/]+)$/.exec(id);
  if (!match) {
    return `Component id '${id}' is not a registry component reference (azureml://registries/<registry>/components/<name>/versions/<version> or /labels/latest).`;
  }
  const [, registry, name, kind, ref] = match as unknown as [string, string, string, string, string];
  if (registry !== ctx.registryName) return `Registry '${registry}' was not found.`;
  const served = ctx.components[name];
  if (served === undefined) return `Component '${name}' was not found in registry '${registry}'.`;
  if (kind === 'labels' && ref !== 'latest')
    return `Component label '${ref}' does not exist (only 'latest').`;
  const version = kind === 'labels' ? served.latest : ref;
  const found = served.versions[version];
  if (found === undefined)
    return `Version '${version}' of component '${name}' was not found in registry '${registry}' (served: ${Object.keys(served.versions).join(', ')}).`;
  return found;
}

function checkInput(
  name: string,
  kind: DeclaredInput,
  input: { type: string; uri?: string; value?: string },
  ctx: ValidationContext,
  declared: string,
): string | undefined {
  if (ASSET_TYPES.includes(kind.type)) {
    if (input.type !== kind.type)
      return `Input '${name}' of ${declared} is a ${kind.type}, got ${input.type}.`;
    const uri = input.uri!;
    if (kind.type === 'mlflow_model' || kind.type === 'custom_model') return checkModelUri(uri, ctx);
    if (kind.type === 'mltable') return undefined;
    return checkDataUri(uri, ctx);
  }
  if (input.type !== 'literal') return `Input '${name}' expects a literal value, got ${input.type}.`;
  const value = input.value!;
  if (kind.enum !== undefined && !kind.enum.includes(value)) {
    return `Input '${name}' of ${declared} must be one of ${kind.enum.join(', ')}; got '${value}'.`;
  }
  const range = (n: number): string | undefined => {
    if (kind.min !== undefined && n < kind.min)
      return `Input '${name}' of ${declared} must be >= ${kind.min}, got ${value}.`;
    if (kind.max !== undefined && n > kind.max)
      return `Input '${name}' of ${declared} must be <= ${kind.max}, got ${value}.`;
    return undefined;
  };
  switch (kind.type) {
    case 'integer':
      if (!/^-?\d+$/.test(value))
        return `Input '${name}' of ${declared} is an integer (sent as a string), got '${value}'.`;
      return range(Number(value));
    case 'number':
      if (value.trim() === '' || !Number.isFinite(Number(value)))
        return `Input '${name}' of ${declared} is a number (sent as a string), got '${value}'.`;
      return range(Number(value));
    default:
      // compute_* are strings naming a compute: the run needs it to exist (or 'serverless').
      if (
        name.startsWith('compute_') &&
        value !== 'serverless' &&
        !ctx.computes.some((c) => c.name === value)
      )
        return `Input '${name}': compute '${value}' does not exist in this workspace (use an existing compute or 'serverless').`;
      return undefined;
  }
}

function checkModelUri(uri: string, ctx: ValidationContext): string | undefined {
  const registry = /^azureml:\/\/registries\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)$/.exec(uri);
  if (registry) {
    const [, reg, name, version] = registry as unknown as [string, string, string, string];
    if (reg !== ctx.registryName) return `Registry '${reg}' was not found (model input '${uri}').`;
    const model = ctx.registryModels.find((m) => m.name === name && m.version === version);
    if (model === undefined)
      return `Model '${name}' version '${version}' was not found in registry '${reg}'.`;
    const retirement = model.tags.FinetuneRetirementDate;
    if (retirement !== undefined && Date.parse(retirement) <= ctx.lifecycleNow) {
      return `Model '${name}' version '${version}' in registry '${reg}' was retired for fine-tuning on ${retirement} (tag FinetuneRetirementDate); choose a model whose fine-tuning is live.`;
    }
    if (model.isArchived === true) {
      return `Model '${name}' version '${version}' in registry '${reg}' is archived; an archived model cannot be used as a job input.`;
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
