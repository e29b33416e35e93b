// The activities over the REAL adapters (createPorts) against real local servers: blobs in
// Azurite, Azure ML (ARM, registry, MLflow, scoring) in the Azure ML emulator over HTTPS. One
// stack per test file (starting one costs seconds); each case brings its own run (its own run id,
// dataset and endpoint names) through the helpers below, so any case runs alone.
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../dev/emulator/index.js';
import { createActivities, type Activities } from '../../src/activities/index.js';
import { createPorts } from '../../src/adapters/index.js';
import { loadConfig, type AppConfig } from '../../src/config.js';
import type { DatasetRef } from '../../src/domain/runView.js';
import type {
  CheckComputeOutput,
  PrepareOutput,
  RegisterOutput,
  ResolveModelOutput,
} from '../../src/orchestration/contract.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';

export const CONTAINER = 'training-data';

export const conversation = (i: number): string =>
  JSON.stringify({
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: `question ${i}` },
      { role: 'assistant', content: `answer ${i}` },
    ],
  });

export const conversations = (count: number): string =>
  Array.from({ length: count }, (_, i) => conversation(i)).join('\n');

/** What a test reaches through the stack; filled in by the file's beforeAll. */
export interface ActivityStack {
  readonly azurite: AzuriteBlob;
  readonly emulator: RunningEmulator;
  readonly stateDir: string;
  readonly container: ContainerClient;
  readonly config: AppConfig;
  readonly activities: Activities;
  settings(overrides?: Record<string, string>): AppConfig;
  activitiesFor(config: AppConfig): Activities;
  upload(path: string, text: string): Promise<string>;
  readBlob(path: string): Promise<string>;
  admin(method: string, path: string, body: unknown): Promise<Response>;
  /** Uploads `text` at `path` and returns the reference a run would carry. */
  dataset(path: string, text: string): Promise<DatasetRef>;
  /** A valid dataset of 40 conversations under incoming/<runId>/, prepared for the run. */
  prepared(runId: string): Promise<PrepareOutput>;
  resolvedModel(): Promise<ResolveModelOutput>;
  checkedCompute(model: ResolveModelOutput): Promise<CheckComputeOutput>;
  /** The run's pipeline job, submitted and then Completed (through the emulator's admin API). */
  completedJob(runId: string): Promise<{ jobName: string; prepared: PrepareOutput }>;
  /** The model the run's Completed job produced, registered. */
  registeredModel(runId: string): Promise<RegisterOutput & { prepared: PrepareOutput }>;
}

/** Registers the hooks that start and stop one Azurite and one emulator for the calling file. */
export function useActivityStack(): ActivityStack {
  const state = {} as {
    azurite: AzuriteBlob;
    emulator: RunningEmulator;
    stateDir: string;
    container: ContainerClient;
    config: AppConfig;
    activities: Activities;
  };

  function settings(overrides: Record<string, string> = {}): AppConfig {
    const { azurite, emulator } = state;
    return loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      TRAINING_CONTAINER: CONTAINER,
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

  const activitiesFor = (cfg: AppConfig): Activities =>
    createActivities(
      createPorts(cfg, {
        retry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
        lroPollIntervalInMs: 20,
      }),
      cfg,
    );

  async function upload(path: string, text: string): Promise<string> {
    const response = await state.container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
    return (response.etag ?? '').replace(/"/g, '');
  }

  async function readBlob(path: string): Promise<string> {
    return (await state.container.getBlockBlobClient(path).downloadToBuffer()).toString('utf8');
  }

  async function admin(method: string, path: string, body: unknown): Promise<Response> {
    // the emulator's self-signed CA: node's fetch cannot take a CA per request, so use https
    const { request } = await import('node:https');
    const { emulator } = state;
    return new Promise((resolve, reject) => {
      const url = new URL(
        path,
        emulator.adminUrl.endsWith('/') ? emulator.adminUrl : `${emulator.adminUrl}/`,
      );
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

  async function dataset(path: string, text: string): Promise<DatasetRef> {
    return { container: CONTAINER, path, etag: await upload(path, text) };
  }

  async function prepared(runId: string): Promise<PrepareOutput> {
    const ref = await dataset(`incoming/${runId}/train.jsonl`, conversations(40));
    const { split } = unwrap(await state.activities.validate({ runId, dataset: ref }));
    return unwrap(await state.activities.prepare({ runId, dataset: ref, split }));
  }

  async function resolvedModel(): Promise<ResolveModelOutput> {
    return unwrap(await state.activities.resolveModel({ overrides: {} }));
  }

  async function checkedCompute(model: ResolveModelOutput): Promise<CheckComputeOutput> {
    return unwrap(
      await state.activities.checkCompute({
        overrides: {},
        modelSpecificDefaults: model.modelSpecificDefaults,
        ...(model.finetuneAllowList === undefined ? {} : { finetuneAllowList: model.finetuneAllowList }),
      }),
    );
  }

  async function completedJob(runId: string): Promise<{ jobName: string; prepared: PrepareOutput }> {
    const split = await prepared(runId);
    const model = await resolvedModel();
    const compute = await checkedCompute(model);
    const { activities } = state;
    const submitted = unwrap(
      await activities.submit({ runId, overrides: { num_train_epochs: 1 }, model, compute, ...split }),
    );
    const outcome = await admin('POST', `jobs/${submitted.jobName}/outcome`, { status: 'Completed' });
    if (outcome.status >= 300) throw new Error(`outcome for ${submitted.jobName}: ${outcome.status}`);
    for (let i = 0; i < 100; i++) {
      const job = unwrap(await activities.getJob({ jobName: submitted.jobName }));
      if (job.status === 'Completed') return { jobName: submitted.jobName, prepared: split };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${submitted.jobName} did not complete within 100 polls`);
  }

  async function registeredModel(runId: string): Promise<RegisterOutput & { prepared: PrepareOutput }> {
    const { jobName, prepared: split } = await completedJob(runId);
    return { ...unwrap(await state.activities.register({ runId, jobName })), prepared: split };
  }

  beforeAll(async () => {
    state.stateDir = mkdtempSync(join(tmpdir(), 'activities-emulator-'));
    [state.azurite, state.emulator] = await Promise.all([
      startAzuriteBlob(),
      startEmulator({
        stateDir: state.stateDir,
        port: 0,
        config: { clock: { jobSeconds: 600, lroSeconds: 0.05 } },
      }),
    ]);
    state.container = BlobServiceClient.fromConnectionString(
      state.azurite.connectionString,
    ).getContainerClient(CONTAINER);
    await state.container.create();
    state.config = settings();
    state.activities = activitiesFor(state.config);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([state.azurite?.close(), state.emulator?.stop()]);
    if (state.stateDir !== undefined) rmSync(state.stateDir, { recursive: true, force: true });
  });

  return {
    get azurite() {
      return state.azurite;
    },
    get emulator() {
      return state.emulator;
    },
    get stateDir() {
      return state.stateDir;
    },
    get container() {
      return state.container;
    },
    get config() {
      return state.config;
    },
    get activities() {
      return state.activities;
    },
    settings,
    activitiesFor,
    upload,
    readBlob,
    admin,
    dataset,
    prepared,
    resolvedModel,
    checkedCompute,
    completedJob,
    registeredModel,
  };
}

/** The value of a Result a setup step needs; a failed setup step fails the test with its code. */
export function unwrap<T>(
  result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } },
): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
