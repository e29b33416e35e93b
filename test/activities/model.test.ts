// resolveModel and register (src/activities/model.ts): the registry model in the Azure ML
// emulator, and the model a Completed job produced.
import { describe, expect, it } from 'vitest';
import { useActivityStack } from './support.js';

const stack = useActivityStack();

describe('resolveModel', () => {
  it('reads the registry model and its allow lists', async () => {
    const result = await stack.activities.resolveModel({ overrides: {} });
    if (!result.ok) throw new Error(result.error.message);
    const model = result.value;
    expect(model.model.id).toMatch(/^azureml:\/\/registries\/azureml\/models\/Phi-4\/versions\/.+$/);
    expect(model.model.source).toBe('registry');
    expect(model.finetuneAllowList).toContain('Standard_NC24ads_A100_v4');
    const { id, name, version } = model.component;
    expect({ id, name, version }).toEqual({
      id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
      name: 'chat_completion_pipeline',
      version: '0.0.78',
    });
    expect(model.lifecycle).toBeUndefined();
    expect(model.notes).toEqual([]);
  });
});

describe('resolveModel refuses before any GPU is asked for', () => {
  it("the notebook's Phi-3-mini-4k-instruct: retired for fine-tuning on 2025-08-30", async () => {
    const activities = stack.activitiesFor(stack.settings({ BASE_MODEL_NAME: 'Phi-3-mini-4k-instruct' }));
    expect(await activities.resolveModel({ overrides: {} })).toEqual({
      ok: false,
      error: {
        code: 'MODEL.FINETUNE_RETIRED',
        message:
          'model Phi-3-mini-4k-instruct version 15 was retired for fine-tuning on 2025-08-30 (registry tag FinetuneRetirementDate); set BASE_MODEL_NAME to a model whose fine-tuning is live in the registry',
        details: { model: 'Phi-3-mini-4k-instruct', version: '15', finetuneRetirementDate: '2025-08-30' },
      },
    });
  });

  it('a retired inference size (Standard_NC6s_v3, NCv3 retired 2025-09-30)', async () => {
    const activities = stack.activitiesFor(stack.settings({ INFERENCE_INSTANCE_TYPE: 'Standard_NC6s_v3' }));
    expect(await activities.resolveModel({ overrides: {} })).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.VM_SIZE_RETIRED',
        message:
          'INFERENCE_INSTANCE_TYPE uses Standard_NC6s_v3, an NCv3 size Azure retired on 2025-09-30; use an NC A100 v4 size such as Standard_NC24ads_A100_v4',
      },
    });
  });

  it('an override the pinned component does not declare, naming the input and the version', async () => {
    const result = await stack.activities.resolveModel({ overrides: { learning_rate_min: 1e-6 } });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'FINETUNE.UNKNOWN_INPUT',
        details: [
          {
            input: 'learning_rate_min',
            code: 'FINETUNE.UNKNOWN_INPUT',
            message:
              'learning_rate_min: not an input of chat_completion_pipeline 0.0.78; remove it or pin a component version that has it (PIPELINE_COMPONENT)',
          },
        ],
      },
    });
  });

  it('a value outside the declared enum (optim adamw_hf, dropped after 0.0.57)', async () => {
    const result = await stack.activities.resolveModel({ overrides: { optim: 'adamw_hf' } });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'FINETUNE.INVALID_VALUE',
        details: [
          {
            input: 'optim',
            code: 'FINETUNE.INVALID_VALUE',
            message:
              "optim: expected one of adamw_torch, adafactor, got 'adamw_hf' (chat_completion_pipeline 0.0.78)",
          },
        ],
      },
    });
  });
});

describe('register', () => {
  it('registers the trained model once', async () => {
    const runId = 'ft-modelregister0000000';
    const { jobName } = await stack.completedJob(runId);
    const first = await stack.activities.register({ runId, jobName });
    const again = await stack.activities.register({ runId, jobName });
    if (!first.ok) throw new Error(first.error.message);
    expect(again).toEqual(first);
    expect(first.value.name).toBe('Phi-4-ft');
  });
});
