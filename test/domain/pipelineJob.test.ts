import { describe, expect, it } from 'vitest';
import { displayName } from '../../src/domain/displayName.js';
import { resolveFineTuneParameters } from '../../src/domain/fineTuneParameters.js';
import { buildPipelineJob, datastoreUri, registryModelId } from '../../src/domain/pipelineJob.js';

const RUN_ID = 'ft-d6d611a5d854edeb1586';

function notebookDefaultJob() {
  const resolved = resolveFineTuneParameters({ modelSpecificDefaults: {}, overrides: {}, gpusPerNode: 4 });
  if (!resolved.ok) throw new Error('defaults must resolve');
  const parameters = resolved.value.parameters;
  return buildPipelineJob({
    runId: RUN_ID,
    experimentName: 'chat_completion_Phi-3-mini-4k-instruct',
    displayName: displayName({ model: 'Phi-3-mini-4k-instruct', parameters, gpusPerNode: 4, nodes: 1 }),
    componentId: 'azureml://registries/azureml/components/chat_completion_pipeline/labels/latest',
    modelId: registryModelId('azureml', 'Phi-3-mini-4k-instruct', '7'),
    trainDataUri: datastoreUri('trainingdata', `runs/${RUN_ID}/train.jsonl`),
    testDataUri: datastoreUri('trainingdata', `runs/${RUN_ID}/test.jsonl`),
    computeName: 'gpu-cluster',
    parameters,
  });
}

describe('buildPipelineJob', () => {
  // Pinned on purpose: any change to what goes on the wire shows up in review as a diff here.
  it('builds the exact body for a notebook-default run', () => {
    expect(notebookDefaultJob()).toEqual({
      properties: {
        jobType: 'Pipeline',
        displayName: 'Phi-3-mini-4k-instruct-ultrachat-bs4-cosine-ds2-lora-save_limit-1-seqlen-1',
        experimentName: 'chat_completion_Phi-3-mini-4k-instruct',
        tags: { 'autopilot-run-id': RUN_ID, 'autopilot-owner': 'finetune-autopilot' },
        settings: { force_rerun: true, continue_on_step_failure: false },
        jobs: {
          chat_completion_pipeline: {
            type: 'pipeline',
            componentId: 'azureml://registries/azureml/components/chat_completion_pipeline/labels/latest',
            inputs: {
              mlflow_model_path: {
                job_input_type: 'mlflow_model',
                uri: 'azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/7',
              },
              train_file_path: {
                job_input_type: 'uri_file',
                uri: `azureml://datastores/trainingdata/paths/runs/${RUN_ID}/train.jsonl`,
              },
              validation_file_path: {
                job_input_type: 'uri_file',
                uri: `azureml://datastores/trainingdata/paths/runs/${RUN_ID}/test.jsonl`,
              },
              test_file_path: {
                job_input_type: 'uri_file',
                uri: `azureml://datastores/trainingdata/paths/runs/${RUN_ID}/test.jsonl`,
              },
              compute_model_import: { job_input_type: 'literal', value: 'gpu-cluster' },
              compute_preprocess: { job_input_type: 'literal', value: 'gpu-cluster' },
              compute_finetune: { job_input_type: 'literal', value: 'gpu-cluster' },
              compute_model_evaluation: { job_input_type: 'literal', value: 'gpu-cluster' },
              apply_deepspeed: { job_input_type: 'literal', value: 'true' },
              apply_lora: { job_input_type: 'literal', value: 'true' },
              deepspeed_stage: { job_input_type: 'literal', value: '2' },
              learning_rate: { job_input_type: 'literal', value: '0.000005' },
              lr_scheduler_type: { job_input_type: 'literal', value: 'cosine' },
              num_nodes_finetune: { job_input_type: 'literal', value: '1' },
              num_train_epochs: { job_input_type: 'literal', value: '3' },
              number_of_gpu_to_use_finetuning: { job_input_type: 'literal', value: '4' },
              per_device_eval_batch_size: { job_input_type: 'literal', value: '1' },
              per_device_train_batch_size: { job_input_type: 'literal', value: '1' },
            },
            outputs: {
              mlflow_model_folder: { value: '${{parent.outputs.trained_model}}', type: 'literal' },
            },
          },
        },
        outputs: { trained_model: { jobOutputType: 'mlflow_model' } },
      },
    });
  });

  it('has no top-level inputs: the SDK would drop their uri (docs/azure-facts.md)', () => {
    expect('inputs' in notebookDefaultJob().properties).toBe(false);
  });

  it('keeps the ownership tags over extra tags with the same keys', () => {
    const job = buildPipelineJob({
      ...{ runId: RUN_ID, experimentName: 'e', displayName: 'd', componentId: 'c', modelId: 'm' },
      ...{ trainDataUri: 't', testDataUri: 'v', computeName: 'gpu-cluster', parameters: {} },
      tags: { 'autopilot-owner': 'someone-else', dataset: 'incoming/chat/train.jsonl' },
    });
    expect(job.properties.tags).toEqual({
      dataset: 'incoming/chat/train.jsonl',
      'autopilot-run-id': RUN_ID,
      'autopilot-owner': 'finetune-autopilot',
    });
  });
});

describe('datastoreUri', () => {
  it('addresses a path in a datastore, without a doubled slash', () => {
    expect(datastoreUri('trainingdata', '/runs/ft-1/train.jsonl')).toBe(
      'azureml://datastores/trainingdata/paths/runs/ft-1/train.jsonl',
    );
  });
});
