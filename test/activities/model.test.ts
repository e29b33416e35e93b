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
