// What the run registers and deploys (notebook sections 6-7): the model version from the job's
// output, a key-auth managed online endpoint carrying ownership tags, and one deployment "demo".
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from './errors.js';
import type { DeploymentSpec, EndpointSpec, ModelVersionSpec } from './resources.js';
import { ownershipTags, TRAINED_MODEL_OUTPUT } from './pipelineJob.js';
import { OWNER_TAG_VALUE, Tag } from '../names.js';

/** The notebook's deployment name; it takes all of the endpoint's traffic. */
export const DEPLOYMENT_NAME = 'demo';

/** ARM provisioning state of a resource that is ready. */
export const PROVISIONED = 'Succeeded';
/** Provisioning states that ended without being ready (Deleting: someone removes it). */
const NOT_PROVISIONING: readonly string[] = ['Failed', 'Canceled', 'Deleting'];
export const provisioningEnded = (state: string): boolean => NOT_PROVISIONING.includes(state);
export const FULL_TRAFFIC: Readonly<Record<string, number>> = Object.freeze({ [DEPLOYMENT_NAME]: 100 });

/** Asset names allow letters, digits, '-', '_' and '.', starting with a letter or digit. */
export function fineTunedModelName(baseModelName: string): string {
  const cleaned = baseModelName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `${cleaned || 'model'}-ft`;
}

/**
 * One version per run, the same on every retry so re-registering finds it. A whole number (the
 * notebook uses a timestamp) so versions sort as studio expects: 12 hex of sha256(runId) in decimal.
 */
export function modelVersionFor(runId: string): string {
  return String(parseInt(createHash('sha256').update(runId).digest('hex').slice(0, 12), 16));
}

export interface ModelVersionInput {
  readonly runId: string;
  /** The BASE model's name; the registered name is fineTunedModelName(it). */
  readonly modelName: string;
  readonly jobName: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export function modelVersionSpec(input: ModelVersionInput): ModelVersionSpec {
  return {
    name: fineTunedModelName(input.modelName),
    version: modelVersionFor(input.runId),
    properties: {
      modelType: 'mlflow_model',
      modelUri: `azureml://jobs/${input.jobName}/outputs/${TRAINED_MODEL_OUTPUT}`,
      description: `${input.modelName} fine-tuned by finetune-autopilot run ${input.runId}`,
      tags: { ...input.tags, ...ownershipTags(input.runId) },
    },
  };
}

export function endpointSpec(input: { name: string; location: string; runId: string }): EndpointSpec {
  return {
    name: input.name,
    location: input.location,
    tags: ownershipTags(input.runId),
    properties: {
      authMode: 'Key',
      description: `Fine-tuned model of finetune-autopilot run ${input.runId}`,
    },
    // What the Python SDK sends by default; the endpoint needs an identity to pull the model.
    identity: { type: 'SystemAssigned' },
  };
}

/** A line's endpoint (src/domain/line.ts): owned by the app, named for its line, not for a run. */
export function lineEndpointSpec(input: { name: string; location: string; line: string }): EndpointSpec {
  return {
    name: input.name,
    location: input.location,
    tags: { [Tag.owner]: OWNER_TAG_VALUE, [Tag.line]: input.line },
    properties: {
      authMode: 'Key',
      description: `Serving line '${input.line}' of finetune-autopilot: new models roll out here as new deployments`,
    },
    identity: { type: 'SystemAssigned' },
  };
}

/** Is this the app's endpoint for `line`? Anything else is never touched. */
export function isLineEndpoint(tags: Readonly<Record<string, string>>, line: string): boolean {
  return tags[Tag.owner] === OWNER_TAG_VALUE && tags[Tag.line] === line;
}

export interface DeploymentInput {
  readonly endpointName: string;
  /** Default DEPLOYMENT_NAME (a run's own endpoint); a line names each model's deployment (deploymentNameFor). */
  readonly name?: string;
  /** ARM id of the registered model version. */
  readonly modelId: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly location: string;
}

export function deploymentSpec(input: DeploymentInput): DeploymentSpec {
  return {
    endpointName: input.endpointName,
    name: input.name ?? DEPLOYMENT_NAME,
    location: input.location,
    sku: { name: 'Default', capacity: input.instanceCount },
    properties: {
      endpointComputeType: 'Managed',
      model: input.modelId,
      instanceType: input.instanceType,
      // The notebook's probe delay (600 s) and request timeout (90 000 ms), as ISO-8601
      // durations: the SDK rejects plain seconds.
      livenessProbe: { initialDelay: 'PT10M' },
      requestSettings: { requestTimeout: 'PT1M30S' },
    },
  };
}

/**
 * The notebook only prints a warning; here the run stops before creating anything that bills,
 * since a deployment on a size the model does not support fails after minutes of provisioning.
 */
export function checkInferenceInstance(
  instanceType: string,
  inferenceAllowList?: readonly string[],
): Result<string> {
  if (inferenceAllowList === undefined) return ok(instanceType);
  const match = inferenceAllowList.find((allowed) => allowed.toLowerCase() === instanceType.toLowerCase());
  if (match !== undefined) return ok(match);
  return fail({
    code: 'DEPLOY.INSTANCE_TYPE_NOT_ALLOWED',
    message: `inference instance type ${instanceType} is not one this model can be served on; set INFERENCE_INSTANCE_TYPE to one of: ${inferenceAllowList.join(', ')}`,
    details: { instanceType, allowed: [...inferenceAllowList] },
  });
}
