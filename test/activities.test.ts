// The activities over the REAL adapters (createPorts) against real local servers: blobs in
// Azurite, Azure ML (ARM, registry, MLflow, scoring) in the Azure ML emulator over HTTPS. Each
// step runs as the orchestrator would call it, and again where a retry or replay could repeat it.
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../dev/emulator/index.js';
import { createActivities, smokeTestMessages, type Activities } from '../src/activities/index.js';
import { createPorts } from '../src/adapters/index.js';
import { loadConfig, type AppConfig } from '../src/config.js';
import type { DatasetRef } from '../src/domain/runView.js';
import type { CheckComputeOutput, PrepareOutput, ResolveModelOutput } from '../src/orchestration/contract.js';
import { writeUltrachatParquet } from './adapters/parquetFixture.js';
import { startAzuriteBlob, type AzuriteBlob } from './support/azurite.js';
import { deployNow } from './support/deploy.js';

let azurite: AzuriteBlob;
let emulator: RunningEmulator;
let stateDir: string;
let container: ContainerClient;
let config: AppConfig;
let activities: Activities;

const RUN_ID = 'ft-activities0000000000';

const conversation = (i: number) =>
  JSON.stringify({
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: `question ${i}` },
      { role: 'assistant', content: `answer ${i}` },
    ],
  });

function settings(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    TRAINING_CONTAINER: 'training-data',
    AZURE_SUBSCRIPTION_ID: emulator.subscriptionId,
    AZUREML_RESOURCE_GROUP: emulator.resourceGroup,
    AZUREML_WORKSPACE: emulator.workspace,
    AZUREML_LOCATION: emulator.location,
    ARM_ENDPOINT: emulator.baseUrl,
    AZUREML_CREDENTIAL: 'static',
    ARM_CA_CERT_PATH: emulator.caCertPath,
    AZUREML_REGISTRY_DISCOVERY_URL: emulator.baseUrl,
    AZUREML_DATASTORE: 'trainingdata',
    COMPUTE_CLUSTER: 'gpu-cluster',
    ...overrides,
  });
}

const fastPorts = (cfg: AppConfig) =>
  createPorts(cfg, {
    retry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
    lroPollIntervalMs: 20,
  });

async function upload(path: string, text: string): Promise<string> {
  const response = await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
  return (response.etag ?? '').replace(/"/g, '');
}

async function readBlob(path: string): Promise<string> {
  return (await container.getBlockBlobClient(path).downloadToBuffer()).toString('utf8');
}

async function admin(method: string, path: string, body: unknown): Promise<Response> {
  // the emulator's self-signed CA: node's fetch cannot take a CA per request, so use https
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const url = new URL(path, emulator.adminUrl.endsWith('/') ? emulator.adminUrl : `${emulator.adminUrl}/`);
    const req = request(
      url,
      { method, ca: emulator.caCert, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(new Response(text, { status: res.statusCode ?? 0 })));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'activities-emulator-'));
  [azurite, emulator] = await Promise.all([
    startAzuriteBlob(),
    startEmulator({ stateDir, port: 0, config: { clock: { jobSeconds: 600, lroSeconds: 0.05 } } }),
  ]);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'training-data',
  );
  await container.create();
  config = settings();
  activities = createActivities(fastPorts(config), config);
}, 60_000);

afterAll(async () => {
  await Promise.all([azurite?.close(), emulator?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('activities over the real adapters', () => {
  let dataset: DatasetRef;
  let prepared: PrepareOutput;
  let model: ResolveModelOutput;
  let compute: CheckComputeOutput;
  let modelId: string;
  const endpointName = 'ft-activities00-ab12';

  it('validate writes report.json and accepts a valid dataset', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => conversation(i)).join('\n');
    dataset = {
      container: 'training-data',
      path: 'incoming/chat/train.jsonl',
      etag: await upload('incoming/chat/train.jsonl', rows),
    };
    const result = await activities.validate({ runId: RUN_ID, dataset });
    expect(result).toEqual({
      ok: true,
      value: {
        format: 'jsonl',
        rows: 40,
        validRows: 40,
        warnings: 0,
        reportPath: `runs/${RUN_ID}/report.json`,
      },
    });
    expect(JSON.parse(await readBlob(`runs/${RUN_ID}/report.json`))).toMatchObject({ valid: true, rows: 40 });
  });

  it('prepare writes the train and test split under runs/<id>/', async () => {
    const result = await activities.prepare({ runId: RUN_ID, dataset });
    if (!result.ok) throw new Error(result.error.message);
    prepared = result.value;
    expect(prepared.trainRows + prepared.testRows).toBe(40);
    expect(prepared.testRows).toBeGreaterThan(0);
    expect((await readBlob(prepared.trainPath)).trim().split('\n')).toHaveLength(prepared.trainRows);
    expect((await readBlob(prepared.testPath)).trim().split('\n')).toHaveLength(prepared.testRows);
  });

  it('resolveModel reads the registry model and its allow lists', async () => {
    const result = await activities.resolveModel({ overrides: {} });
    if (!result.ok) throw new Error(result.error.message);
    model = result.value;
    expect(model.model.id).toMatch(/^azureml:\/\/registries\/azureml\/models\/Phi-4\/versions\/.+$/);
    expect(model.model.source).toBe('registry');
    expect(model.finetuneAllowList).toContain('Standard_NC24ads_A100_v4');
    const { id, name, version } = model.component;
    expect({ id, name, version }).toEqual({
      id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
      name: 'chat_completion_pipeline',
      version: '0.0.78',
    });
    // Phi-4 8 is live and carries no lifecycle tags; all its model defaults are declared inputs
    expect(model.lifecycle).toBeUndefined();
    expect(model.notes).toEqual([]);
  });

  it('checkCompute passes for the GPU cluster', async () => {
    const result = await activities.checkCompute({
      overrides: {},
      modelSpecificDefaults: model.modelSpecificDefaults,
      ...(model.finetuneAllowList === undefined ? {} : { finetuneAllowList: model.finetuneAllowList }),
    });
    if (!result.ok) throw new Error(result.error.message);
    compute = result.value;
    expect(compute).toEqual({
      computeName: 'gpu-cluster',
      vmSize: 'Standard_NC24ads_A100_v4',
      gpusPerNode: 1,
      nodes: 1,
      notes: [],
    });
  });

  it('submit creates the job named after the run, and a repeated submit finds it instead of creating another', async () => {
    const input = { runId: RUN_ID, overrides: { num_train_epochs: 1 }, model, compute, ...prepared };
    // a job clock short enough that the next test sees the job Running (its steps start then),
    // long enough that it is not finished when this test reads it
    expect((await admin('PUT', 'clock', { jobSeconds: 20, lroSeconds: 0.05 })).status).toBe(200);
    let first: Awaited<ReturnType<Activities['submit']>>;
    let again: Awaited<ReturnType<Activities['submit']>>;
    try {
      first = await activities.submit({
        ...input,
        trainPath: prepared.trainPath,
        testPath: prepared.testPath,
      });
      again = await activities.submit({
        ...input,
        trainPath: prepared.trainPath,
        testPath: prepared.testPath,
      });
    } finally {
      await admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 0.05 });
    }
    expect(first).toMatchObject({ ok: true, value: { jobName: RUN_ID, created: true } });
    expect(again).toMatchObject({ ok: true, value: { jobName: RUN_ID, created: false } });
    const job = await activities.getJob({ jobName: RUN_ID });
    expect(
      job.ok && ['NotStarted', 'Starting', 'Preparing', 'Queued', 'Running'].includes(job.value.status),
    ).toBe(true);
  });

  it('getJob sees the outcome; metrics reads the child runs', async () => {
    // the outcome lands once the job runs: one that ends it before then leaves no step runs
    // and so no metrics (dev/emulator/jobs.ts jobTimelines)
    await expect
      .poll(
        async () => {
          const job = await activities.getJob({ jobName: RUN_ID });
          return job.ok ? job.value.status : 'error';
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe('Running');
    expect((await admin('POST', `jobs/${RUN_ID}/outcome`, { status: 'Completed' })).status).toBeLessThan(300);
    let status = '';
    for (let i = 0; i < 100 && status !== 'Completed'; i++) {
      const job = await activities.getJob({ jobName: RUN_ID });
      status = job.ok ? job.value.status : 'error';
      if (status !== 'Completed') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('Completed');
    const metrics = await activities.metrics({ jobName: RUN_ID });
    if (!metrics.ok) throw new Error(metrics.error.message);
    expect(Object.keys(metrics.value).some((k) => k.endsWith('/eval_loss'))).toBe(true);
  });

  it('register registers the trained model once', async () => {
    const first = await activities.register({ runId: RUN_ID, jobName: RUN_ID });
    const again = await activities.register({ runId: RUN_ID, jobName: RUN_ID });
    if (!first.ok) throw new Error(first.error.message);
    expect(again).toEqual(first);
    expect(first.value.name).toBe('Phi-4-ft');
    modelId = first.value.id;
  });

  it('the deploy steps return before provisioning ends, and each can run again', async () => {
    // slow enough that the assertions below see the endpoint still provisioning
    expect((await admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 2 })).status).toBe(200);
    try {
      const input = { runId: RUN_ID, endpointName };
      const started = await activities.startEndpoint({
        ...input,
        ...(model.inferenceAllowList ? { inferenceAllowList: model.inferenceAllowList } : {}),
      });
      // the PUT was accepted: the endpoint is still provisioning
      expect(started).toEqual({ ok: true, value: { provisioningState: 'Creating', created: true } });
      expect(await activities.getDeploymentState(input)).toEqual({
        ok: true,
        value: { endpoint: 'Creating' },
      });
      // a deployment waits for its endpoint
      expect(await activities.startDeployment({ ...input, modelId })).toMatchObject({
        ok: false,
        error: { code: 'DEPLOY.ENDPOINT_NOT_READY' },
      });
      expect(await activities.startEndpoint(input)).toEqual({
        ok: true,
        value: { provisioningState: 'Creating', created: false },
      });
    } finally {
      await admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 0.05 });
    }
  });

  it('deploy steps end with the deployment serving all traffic; repeating them changes nothing', async () => {
    const input = { runId: RUN_ID, endpointName, modelId };
    const first = await deployNow(activities, input);
    if (!first.ok) throw new Error(`${first.error.code}: ${first.error.message}`);
    expect(first.value.name).toBe(endpointName);
    expect(first.value.scoringUri).toMatch(new RegExp(`/score/${endpointName}$`));
    expect(await activities.getDeploymentState(input)).toEqual({
      ok: true,
      value: { endpoint: 'Succeeded', deployment: 'Succeeded' },
    });
    expect(await activities.startDeployment(input)).toEqual({
      ok: true,
      value: { deploymentName: 'demo', provisioningState: 'Succeeded', created: false },
    });
    expect(await activities.setTraffic(input)).toEqual(first);
    expect(await deployNow(activities, input)).toEqual(first);
  });

  it('deploy steps refuse an endpoint another run created', async () => {
    expect(await activities.startEndpoint({ runId: 'ft-someone-else', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
    expect(await activities.getDeploymentState({ runId: 'ft-someone-else', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
  });

  it('smokeTest scores the first held-out conversation without its answer', async () => {
    const endpoint = await activities.setTraffic({ runId: RUN_ID, endpointName });
    if (!endpoint.ok) throw new Error(endpoint.error.message);
    const result = await activities.smokeTest({
      runId: RUN_ID,
      endpointName,
      scoringUri: endpoint.value.scoringUri,
      testPath: prepared.testPath,
    });
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    expect(result.value.input).toEqual(smokeTestMessages(await readBlob(prepared.testPath)));
    expect((result.value.input as { role: string }[]).at(-1)?.role).toBe('user');
    expect(result.value.answer.length).toBeGreaterThan(0);
  });

  it('cleanup deletes the run endpoint; a second cleanup finds nothing', async () => {
    expect(await activities.cleanup({ runId: RUN_ID, endpointName })).toEqual({
      ok: true,
      value: { deleted: true },
    });
    expect(await activities.cleanup({ runId: RUN_ID, endpointName })).toEqual({
      ok: true,
      value: { deleted: false },
    });
  });

  it('cleanup leaves an endpoint of another run alone', async () => {
    const other = await deployNow(activities, {
      runId: 'ft-other',
      endpointName: 'ft-other0000000-cd34',
      modelId,
    });
    expect(other.ok).toBe(true);
    expect(await activities.cleanup({ runId: RUN_ID, endpointName: 'ft-other0000000-cd34' })).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
  });

  it('cancelJob is a no-op for a finished job', async () => {
    expect(await activities.cancelJob({ jobName: RUN_ID })).toEqual({ ok: true, value: { canceled: false } });
  });

  it('writeSummary writes runs/<id>/summary.json', async () => {
    const view = { runId: RUN_ID, status: 'Succeeded' } as never;
    expect(await activities.writeSummary({ view })).toEqual({
      ok: true,
      value: { path: `runs/${RUN_ID}/summary.json` },
    });
    expect(JSON.parse(await readBlob(`runs/${RUN_ID}/summary.json`))).toEqual({
      runId: RUN_ID,
      status: 'Succeeded',
    });
  });
});

describe('expected failures come back as values', () => {
  it('an invalid dataset is DATASET.INVALID with the first findings, and its report is still written', async () => {
    const etag = await upload(
      'incoming/bad.jsonl',
      `${conversation(1)}\n{"messages": [{"role": "bot", "content": "x"}]}\n`,
    );
    const result = await activities.validate({
      runId: 'ft-bad',
      dataset: { container: 'training-data', path: 'incoming/bad.jsonl', etag },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('DATASET.INVALID');
    expect(result.error.message).toBe(
      'dataset incoming/bad.jsonl was rejected: 1 of 2 rows invalid (full report: runs/ft-bad/report.json)',
    );
    expect(result.error.details).toEqual([expect.objectContaining({ line: 2 })]);
    expect(JSON.parse(await readBlob('runs/ft-bad/report.json'))).toMatchObject({ valid: false });
  });

  it('a dataset overwritten since the run started is DATASET.CHANGED', async () => {
    const etag = await upload('incoming/moving.jsonl', conversation(1));
    await upload('incoming/moving.jsonl', conversation(2));
    const result = await activities.validate({
      runId: 'ft-moving',
      dataset: { container: 'training-data', path: 'incoming/moving.jsonl', etag },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'DATASET.CHANGED' } });
  });

  it('a Failed cluster is COMPUTE.FAILED, not a thrown error', async () => {
    const failedCluster = settings({ COMPUTE_CLUSTER: 'failed-cluster' });
    const result = await createActivities(fastPorts(failedCluster), failedCluster).checkCompute({
      overrides: {},
      modelSpecificDefaults: {},
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'COMPUTE.FAILED' } });
  });

  it('a deployment whose provisioning fails is DEPLOY.FAILED with its container logs', async () => {
    const fault = await admin('POST', 'faults', {
      operation: 'OnlineDeployments_CreateOrUpdate',
      provisioningState: 'Failed',
      message: 'CUDA out of memory',
      count: 1,
    });
    expect(fault.status).toBe(201);
    const registered = await activities.register({ runId: RUN_ID, jobName: RUN_ID });
    if (!registered.ok) throw new Error(registered.error.message);
    const result = await deployNow(activities, {
      runId: 'ft-crash',
      endpointName: 'ft-crash00000000-ef56',
      modelId: registered.value.id,
    });
    // reported by the getDeploymentState poll that found the deployment Failed
    expect(result).toMatchObject({ ok: false, error: { code: 'DEPLOY.FAILED' } });
    if (result.ok) return;
    expect(result.error.message).toBe(
      'deployment ft-crash00000000-ef56/demo ended Failed: see the container logs in details',
    );
    expect((result.error.details as { provisioningState: string }).provisioningState).toBe('Failed');
    expect((result.error.details as { logs: string }).logs).toContain('CUDA out of memory');
    // the endpoint it made is still there for the orchestrator's cleanup step to delete
    expect(await activities.cleanup({ runId: 'ft-crash', endpointName: 'ft-crash00000000-ef56' })).toEqual({
      ok: true,
      value: { deleted: true },
    });
  });

  it('a job that does not exist is JOB.NOT_FOUND', async () => {
    expect(await activities.getJob({ jobName: 'ft-missing' })).toMatchObject({
      ok: false,
      error: { code: 'JOB.NOT_FOUND' },
    });
  });
});

describe('a Parquet dataset in blob storage', () => {
  const runId = 'ft-activitiesparquet000';

  it('is validated over ranged reads of the blob and prepared as JSONL', async () => {
    const file = join(stateDir, 'train.parquet');
    await writeUltrachatParquet(
      file,
      Array.from({ length: 30 }, (_, i) => ({
        prompt: `question ${i}`,
        prompt_id: `p${i}`,
        messages: [
          { role: 'user', content: `question ${i}` },
          { role: 'assistant', content: `answer ${i}` },
        ],
      })),
      10, // three row groups, read one at a time
    );
    const blob = container.getBlockBlobClient('incoming/pq/train.parquet');
    const etag = ((await blob.uploadFile(file)).etag ?? '').replace(/"/g, '');
    const dataset = { container: 'training-data', path: 'incoming/pq/train.parquet', etag };

    expect(await activities.validate({ runId, dataset })).toEqual({
      ok: true,
      value: {
        format: 'parquet',
        rows: 30,
        validRows: 30,
        warnings: 0,
        reportPath: `runs/${runId}/report.json`,
      },
    });
    const prepared = await activities.prepare({ runId, dataset });
    if (!prepared.ok) throw new Error(prepared.error.message);
    expect(prepared.value.trainRows + prepared.value.testRows).toBe(30);
    const first = JSON.parse((await readBlob(prepared.value.trainPath)).split('\n')[0] ?? '') as unknown;
    expect(first).toMatchObject({ messages: [{ role: 'user' }, { role: 'assistant' }] });
  });
});
