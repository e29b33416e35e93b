import { describe, expect, it } from 'vitest';
import {
  checkInferenceInstance,
  deploymentSpec,
  endpointSpec,
  fineTunedModelName,
  modelVersionFor,
  modelVersionSpec,
} from '../../src/domain/deployment.js';

const RUN_ID = 'ft-d6d611a5d854edeb1586';

describe('modelVersionSpec', () => {
  it('registers the job output as an MLflow model, one version per run', () => {
    expect(modelVersionSpec({ runId: RUN_ID, modelName: 'Phi-3-mini-4k-instruct', jobName: RUN_ID })).toEqual(
      {
        name: 'Phi-3-mini-4k-instruct-ft',
        // 0x828d9f8a3331 = the first 12 hex of sha256('ft-d6d611a5d854edeb1586')
        version: '143544778634033',
        properties: {
          modelType: 'mlflow_model',
          modelUri: `azureml://jobs/${RUN_ID}/outputs/trained_model`,
          description: `Phi-3-mini-4k-instruct fine-tuned by finetune-autopilot run ${RUN_ID}`,
          tags: { 'autopilot-run-id': RUN_ID, 'autopilot-owner': 'finetune-autopilot' },
        },
      },
    );
  });

  it('gives a forced re-run its own version', () => {
    // 12 hex of sha256(run id) in decimal, worked out outside the code under test
    expect(modelVersionFor(RUN_ID)).toBe('143544778634033');
    expect(modelVersionFor(`${RUN_ID}-r1`)).toBe('246908551418029');
  });
});

describe('fineTunedModelName', () => {
  it('replaces characters asset names do not allow (the notebook replaces /)', () => {
    expect(fineTunedModelName('mistralai/Mistral 7B')).toBe('mistralai-Mistral-7B-ft');
    expect(fineTunedModelName('__x')).toBe('x-ft');
  });
});

describe('endpointSpec', () => {
  it('is a key-auth endpoint carrying the ownership tags', () => {
    expect(endpointSpec({ name: 'ft-d6d611a5d854-a1b2', location: 'eastus', runId: RUN_ID })).toEqual({
      name: 'ft-d6d611a5d854-a1b2',
      location: 'eastus',
      tags: { 'autopilot-run-id': RUN_ID, 'autopilot-owner': 'finetune-autopilot' },
      properties: { authMode: 'Key', description: `Fine-tuned model of finetune-autopilot run ${RUN_ID}` },
      identity: { type: 'SystemAssigned' },
    });
  });
});

describe('deploymentSpec', () => {
  it("is the notebook's 'demo' deployment with ISO-8601 probe delay and request timeout", () => {
    const modelId =
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/models/Phi-3-mini-4k-instruct-ft/versions/1';
    expect(
      deploymentSpec({
        endpointName: 'ft-d6d611a5d854-a1b2',
        modelId,
        instanceType: 'Standard_NC6s_v3',
        instanceCount: 1,
        location: 'eastus',
      }),
    ).toEqual({
      endpointName: 'ft-d6d611a5d854-a1b2',
      name: 'demo',
      location: 'eastus',
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        model: modelId,
        instanceType: 'Standard_NC6s_v3',
        livenessProbe: { initialDelay: 'PT10M' },
        requestSettings: { requestTimeout: 'PT1M30S' },
      },
    });
  });
});

describe('checkInferenceInstance', () => {
  it('accepts any type when the model has no inference allow list', () => {
    expect(checkInferenceInstance('Standard_DS3_v2')).toEqual({ ok: true, value: 'Standard_DS3_v2' });
  });

  it('accepts a listed type case-insensitively, returning the listed spelling', () => {
    expect(checkInferenceInstance('standard_nc6s_v3', ['Standard_NC6s_v3'])).toEqual({
      ok: true,
      value: 'Standard_NC6s_v3',
    });
  });

  it('rejects an unlisted type, naming the allowed ones and the setting to change', () => {
    expect(checkInferenceInstance('Standard_DS3_v2', ['Standard_NC6s_v3', 'Standard_NC12s_v3'])).toEqual({
      ok: false,
      error: {
        code: 'DEPLOY.INSTANCE_TYPE_NOT_ALLOWED',
        message:
          'inference instance type Standard_DS3_v2 is not one this model can be served on; set INFERENCE_INSTANCE_TYPE to one of: Standard_NC6s_v3, Standard_NC12s_v3',
        details: { instanceType: 'Standard_DS3_v2', allowed: ['Standard_NC6s_v3', 'Standard_NC12s_v3'] },
      },
    });
  });
});
