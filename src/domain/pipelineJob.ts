// The PipelineJob request body (ARM 2022-10-01) that runs the registry's chat_completion_pipeline
// as the notebook's create_pipeline() does. Asset inputs go ONLY inside `jobs.<node>.inputs`
// (free-form, snake_case, sent verbatim): @azure/arm-machinelearning 2.1.1 drops `uri` and
// `mode` from top-level asset inputs. A node that runs a registry component names it under
// `componentId` (the Python SDK's pipeline node serializes it so; the service's `jobs` map is
// free-form, so a wrong key is not caught by ARM validation). Sources: docs/azure-facts.md.
import type { FineTuneParameters } from './fineTuneParameters.js';
import type { PipelineJobRequest } from './resources.js';
import { OWNER_TAG_VALUE, Tag } from '../names.js';

/** The pipeline node that runs the component (the notebook's variable name). */
export const PIPELINE_NODE = 'chat_completion_pipeline';
/** The pipeline output the fine-tuned model is bound to; registration reads it from the job. */
export const TRAINED_MODEL_OUTPUT = 'trained_model';
/** The component steps that each take a compute (all run on the same cluster, as in the notebook). */
export const COMPONENT_COMPUTE_INPUTS = [
  'compute_model_import',
  'compute_preprocess',
  'compute_finetune',
  'compute_model_evaluation',
] as const;

/** A path in a workspace datastore, the data URI form Azure ML jobs read. */
export function datastoreUri(datastore: string, path: string): string {
  return `azureml://datastores/${datastore}/paths/${path.replace(/^\/+/, '')}`;
}

/** A registry model version as a job input (`version` may be `latest` only where the caller accepts that). */
export function registryModelId(registry: string, name: string, version: string): string {
  return `azureml://registries/${registry}/models/${name}/versions/${version}`;
}

/** Tags that tie a job (and what it produces) to its run and mark it as this app's. */
export function ownershipTags(runId: string): Record<string, string> {
  return { [Tag.runId]: runId, [Tag.owner]: OWNER_TAG_VALUE };
}

export interface PipelineJobInput {
  readonly runId: string;
  readonly experimentName: string;
  readonly displayName: string;
  /** e.g. azureml://registries/azureml/components/chat_completion_pipeline/labels/latest */
  readonly componentId: string;
  /** The base model, azureml://registries/<registry>/models/<name>/versions/<version>. */
  readonly modelId: string;
  readonly trainDataUri: string;
  /** Used as validation and test file, as the app prepares one held-out split. */
  readonly testDataUri: string;
  readonly computeName: string;
  readonly parameters: FineTuneParameters;
  /** Extra tags; the ownership tags always win. */
  readonly tags?: Readonly<Record<string, string>>;
}

const literal = (value: string) => ({ job_input_type: 'literal', value });
const uriFile = (uri: string) => ({ job_input_type: 'uri_file', uri });

export function buildPipelineJob(input: PipelineJobInput): PipelineJobRequest {
  const inputs: Record<string, unknown> = {
    mlflow_model_path: { job_input_type: 'mlflow_model', uri: input.modelId },
    train_file_path: uriFile(input.trainDataUri),
    validation_file_path: uriFile(input.testDataUri),
    test_file_path: uriFile(input.testDataUri),
  };
  for (const name of COMPONENT_COMPUTE_INPUTS) inputs[name] = literal(input.computeName);
  for (const [name, value] of Object.entries(input.parameters)) inputs[name] = literal(value);

  return {
    properties: {
      jobType: 'Pipeline',
      displayName: input.displayName,
      experimentName: input.experimentName,
      tags: { ...input.tags, ...ownershipTags(input.runId) },
      settings: { force_rerun: true, continue_on_step_failure: false },
      jobs: {
        [PIPELINE_NODE]: {
          type: 'pipeline',
          componentId: input.componentId,
          inputs,
          outputs: {
            mlflow_model_folder: { value: `\${{parent.outputs.${TRAINED_MODEL_OUTPUT}}}`, type: 'literal' },
          },
        },
      },
      outputs: { [TRAINED_MODEL_OUTPUT]: { jobOutputType: 'mlflow_model' } },
    },
  };
}
