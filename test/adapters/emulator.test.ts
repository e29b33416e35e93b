// The adapters against the Azure ML emulator (branch `emulator`, dev/emulator): the same calls a
// run makes, through the real SDK clients, over the emulator's HTTPS with its own CA.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../dev/emulator/index.js';
import { createPorts, type Ports } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config.js';
import type { PipelineJobRequest } from '../../src/domain/resources.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';

// The default base model: fine-tuning live in the azureml registry (dev/emulator/facts/registry-models.json).
const MODEL = 'Phi-4';
const RUN_ID = 'ft-00112233445566778899';
const ENDPOINT = 'ft-001122334455-abcd';
const OWNER_TAGS = { 'autopilot-run-id': RUN_ID, 'autopilot-owner': 'finetune-autopilot' };

let emulator: RunningEmulator;
let azurite: AzuriteBlob;
let ports: Ports;
let stateDir: string;

function admin(method: string, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`${emulator.adminUrl.replace(/\/+$/, '')}/${path}`),
      { method, ca: emulator.caCert, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function jobRequest(modelId: string): PipelineJobRequest {
  const literal = (value: string) => ({ job_input_type: 'literal', value });
  const file = (name: string) => ({
    job_input_type: 'uri_file',
    uri: `azureml://datastores/trainingdata/paths/runs/${RUN_ID}/${name}`,
  });
  return {
    properties: {
      jobType: 'Pipeline',
      displayName: `${MODEL}-ultrachat-bs4-cosine-ds2-lora-save_limit1-seqlen2048`,
      experimentName: `chat_completion_${MODEL}`,
      tags: OWNER_TAGS,
      settings: { force_rerun: true, continue_on_step_failure: false },
      jobs: {
        finetune_pipeline: {
          type: 'pipeline',
          componentId: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
          inputs: {
            mlflow_model_path: { job_input_type: 'mlflow_model', uri: modelId },
            train_file_path: file('train.jsonl'),
            validation_file_path: file('test.jsonl'),
            test_file_path: file('test.jsonl'),
            compute_model_import: literal('gpu-cluster'),
            compute_preprocess: literal('gpu-cluster'),
            compute_finetune: literal('gpu-cluster'),
            compute_model_evaluation: literal('gpu-cluster'),
            number_of_gpu_to_use_finetuning: literal('1'),
            num_nodes_finetune: literal('1'),
          },
          outputs: { mlflow_model_folder: { value: '${{parent.outputs.trained_model}}', type: 'literal' } },
        },
      },
      outputs: { trained_model: { jobOutputType: 'mlflow_model' } },
    },
  };
}

describe('adapters against the Azure ML emulator', () => {
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'adapters-emulator-'));
    [emulator, azurite] = await Promise.all([
      startEmulator({ port: 0, stateDir, config: { clock: { jobSeconds: 1, lroSeconds: 0.2 } } }),
      startAzuriteBlob(),
    ]);
    const config = loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      AZURE_SUBSCRIPTION_ID: emulator.subscriptionId,
      AZUREML_RESOURCE_GROUP: emulator.resourceGroup,
      AZUREML_WORKSPACE: emulator.workspace,
      AZUREML_LOCATION: emulator.location,
      ARM_ENDPOINT: emulator.baseUrl,
      AZUREML_CREDENTIAL: 'static',
      ARM_CA_CERT_PATH: emulator.caCertPath,
      AZUREML_REGISTRY_DISCOVERY_URL: emulator.baseUrl,
    });
    ports = createPorts(config, {
      retry: { maxRetries: 2, retryDelayInMs: 20, maxRetryDelayInMs: 50, maxRetryAfterInMs: 2_000 },
      lroPollIntervalInMs: 50,
    });
  });
  afterAll(async () => {
    await Promise.all([emulator?.stop(), azurite?.close()]);
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  it('reads compute, sizes, usages and the base model with its tags', async () => {
    expect(await ports.gateway.getCompute('gpu-cluster')).toMatchObject({
      provisioningState: 'Succeeded',
      vmSize: 'Standard_NC24ads_A100_v4',
    });
    expect(await ports.gateway.getCompute('no-such-cluster')).toBeUndefined();
    expect(await ports.gateway.listVmSizes()).toContainEqual({
      name: 'Standard_NC24ads_A100_v4',
      gpus: 1,
      vCPUs: 24,
      family: 'standardNCADSA100v4Family',
    });
    expect((await ports.gateway.listUsages()).map((u) => u.name)).toContain(
      'Standard NCADSA100v4 Family Cluster Dedicated vCPUs',
    );
    const model = await ports.catalog.getLatest(MODEL);
    expect(model).toMatchObject({ name: MODEL, source: 'registry' });
    expect(model.id).toBe(`azureml://registries/azureml/models/${MODEL}/versions/${model.version}`);
    expect(model.tags.model_specific_defaults).toMatch(/^\{'/);
  });

  it('runs a job to completion, reads its metrics, registers, deploys, scores and deletes', async () => {
    const model = await ports.catalog.getLatest(MODEL);
    expect(await ports.gateway.createJob(RUN_ID, jobRequest(model.id))).toMatchObject({
      name: RUN_ID,
      tags: OWNER_TAGS,
    });
    // Completed once it has run (jobSeconds is 1): an outcome that lands before the job is Running
    // ends it with no step runs, so no metrics (dev/emulator/jobs.ts jobTimelines).
    expect(await admin('POST', `jobs/${RUN_ID}/outcome`, { status: 'Completed', afterSeconds: 1 })).toBe(200);
    await expect
      .poll(async () => (await ports.gateway.getJob(RUN_ID))?.status, { timeout: 10_000 })
      .toBe('Completed');

    const metrics = await ports.runMetrics.getJobMetrics(RUN_ID);
    expect(Object.keys(metrics)).toEqual(
      // the fine-tune step's node name in chat_completion_pipeline (dev/emulator/facts/chat_completion_pipeline.json)
      expect.arrayContaining(['chat_completion_finetune/train_loss', 'chat_completion_finetune/eval_loss']),
    );

    const version = await ports.gateway.createModelVersion({
      name: 'phi-3-ft',
      version: '1',
      properties: {
        modelType: 'mlflow_model',
        modelUri: `azureml://jobs/${RUN_ID}/outputs/trained_model`,
        tags: OWNER_TAGS,
      },
    });
    expect(await ports.gateway.getModelVersion('phi-3-ft', '1')).toEqual(version);

    const endpoint = await ports.gateway.createEndpoint({
      name: ENDPOINT,
      location: emulator.location,
      tags: OWNER_TAGS,
      properties: { authMode: 'Key' },
    });
    expect(endpoint).toMatchObject({ provisioningState: 'Succeeded', tags: OWNER_TAGS });
    expect(
      await ports.gateway.createDeployment({
        endpointName: ENDPOINT,
        name: 'demo',
        location: emulator.location,
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: version.id,
          instanceType: 'Standard_NC24ads_A100_v4',
          livenessProbe: { initialDelay: 'PT10M' },
          requestSettings: { requestTimeout: 'PT1M30S' },
        },
      }),
    ).toMatchObject({ provisioningState: 'Succeeded', instanceCount: 1 });
    expect((await ports.gateway.setTraffic(ENDPOINT, { demo: 100 })).traffic).toEqual({ demo: 100 });
    expect(
      (await ports.gateway.listEndpoints({ 'autopilot-owner': 'finetune-autopilot' })).map((e) => e.name),
    ).toContain(ENDPOINT);

    const key = await ports.gateway.getEndpointKey(ENDPOINT);
    const scoringUri = (await ports.gateway.getEndpoint(ENDPOINT))?.scoringUri ?? '';
    expect(await ports.scoring.score(scoringUri, key, [{ role: 'user', content: 'What is LoRA?' }])).not.toBe(
      '',
    );
    await expect(
      ports.scoring.score(scoringUri, 'wrong-key', [{ role: 'user', content: 'x' }]),
    ).rejects.toMatchObject({
      code: 'SCORING.UNAUTHORIZED',
    });
    const buckets = await ports.endpointMetrics.requestsPerMinute(
      endpoint.id,
      new Date(Date.now() - 120_000),
      new Date(),
    );
    expect(buckets.reduce((sum, b) => sum + (b.total ?? 0), 0)).toBeGreaterThanOrEqual(1);

    await ports.gateway.deleteEndpoint(ENDPOINT);
    await ports.gateway.deleteEndpoint(ENDPOINT);
    expect(await ports.gateway.getEndpoint(ENDPOINT)).toBeUndefined();
  });

  it('retries an injected 429 and 500; a registry that stays down is retryable when no fallback is set', async () => {
    expect(
      await admin('POST', 'faults', {
        operation: 'Compute_Get',
        status: 429,
        retryAfterSeconds: 1,
        count: 1,
      }),
    ).toBe(201);
    expect(await admin('POST', 'faults', { operation: 'Compute_Get', status: 500, count: 1 })).toBe(201);
    expect(await ports.gateway.getCompute('gpu-cluster')).toMatchObject({ provisioningState: 'Succeeded' });

    expect(await admin('POST', 'faults', { operation: 'Registry_Discovery', status: 503, count: 3 })).toBe(
      201,
    );
    await expect(ports.catalog.getLatest(MODEL)).rejects.toMatchObject({
      code: 'REGISTRY.UNAVAILABLE',
      retryable: true,
    });
  });
});
