// A whole fine-tune run against the emulator, driven only through the real SDK clients
// (@azure/arm-machinelearning 2.1.1, @azure/arm-monitor 7.0.0) and plain HTTPS for the registry,
// MLflow, scoring and the admin API.
import type { AmlCompute } from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  https,
  pipelineJob,
  type MlflowRun,
  startHarness,
  startWebhook,
  waitUntil,
  type Harness,
  type Webhook,
} from './harness.js';

const RUN_ID = 'ft-0123456789abcdef0123';
const ENDPOINT = 'ft-0123456789ab-beef';
const poll = { updateIntervalInMs: 20 };

describe('emulator lifecycle through the real SDK clients', () => {
  let h: Harness;
  let hook: Webhook;
  beforeAll(async () => {
    h = await startHarness();
    hook = await startWebhook();
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  it('serves the workspace with an MLflow tracking URI on the emulator', async () => {
    const ws = await h.ml.workspaces.get(h.rg, h.ws);
    const host = new URL(h.emulator.baseUrl).host;
    expect(ws.mlFlowTrackingUri).toBe(
      `azureml://${host}/mlflow/v1.0/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}`,
    );
  });

  it('reports the compute, its VM size with GPUs and family, and the family quota', async () => {
    const compute = await h.ml.computeOperations.get(h.rg, h.ws, 'gpu-cluster');
    expect(compute.properties?.provisioningState).toBe('Succeeded');
    expect((compute.properties as AmlCompute).properties?.vmSize).toBe('Standard_NC24ads_A100_v4');
    const failed = await h.ml.computeOperations.get(h.rg, h.ws, 'failed-cluster');
    expect(failed.properties?.provisioningState).toBe('Failed');

    const sizes = await h.ml.virtualMachineSizes.list(h.emulator.location);
    // NC A100 v4 sizes: MicrosoftDocs azure-docs articles/virtual-machines/nc-a100-v4-series.md.
    expect(sizes.value?.find((s) => s.name === 'Standard_NC24ads_A100_v4')).toMatchObject({
      gpus: 1,
      vCPUs: 24,
      memoryGB: 220,
      family: 'standardNCADSA100v4Family',
    });
    const usages = [];
    for await (const u of h.ml.usages.list(h.emulator.location)) usages.push(u);
    expect(
      usages.find(
        (u) =>
          u.name?.value === 'Standard NCADSA100v4 Family Cluster Dedicated vCPUs' &&
          u.type === 'Microsoft.MachineLearningServices/vmFamily/usages',
      ),
    ).toMatchObject({ currentValue: 0, limit: 96 });
    const quotas = [];
    for await (const q of h.ml.quotas.list(h.emulator.location)) quotas.push(q);
    expect(
      quotas.find((q) => q.name?.value === 'Standard NCADSA100v4 Family Cluster Dedicated vCPUs')?.limit,
    ).toBe(96);
  });

  it('answers the registry discovery and the latest model version with its Python-literal tags', async () => {
    const auth = { authorization: 'Bearer t' };
    const discovery = await https<{
      primaryRegionResourceProviderUri: string;
      subscriptionId: string;
      resourceGroup: string;
    }>(h.emulator, 'GET', '/registrymanagement/v1.0/registries/azureml/discovery', undefined, auth);
    expect(discovery.status).toBe(200);
    expect(discovery.body.primaryRegionResourceProviderUri).toBe(`${h.emulator.baseUrl}/`);
    const { subscriptionId, resourceGroup } = discovery.body;
    const versions = await https<{ value: { name: string; properties: { tags: Record<string, string> } }[] }>(
      h.emulator,
      'GET',
      `${discovery.body.primaryRegionResourceProviderUri}mferp/managementfrontend/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/registries/azureml/models/Phi-4/versions?api-version=2021-10-01-dataplanepreview&$orderBy=createdtime desc&$top=1`,
      undefined,
      auth,
    );
    expect(versions.status).toBe(200);
    expect(versions.body.value).toHaveLength(1);
    expect(versions.body.value[0]!.name).toBe('8');
    expect(versions.body.value[0]!.properties.tags.finetune_compute_allow_list).toContain(
      "'Standard_NC24ads_A100_v4'",
    );
    expect(versions.body.value[0]!.properties.tags.model_specific_defaults).toMatch(
      /^\{'apply_deepspeed': 'true', 'deepspeed_stage': 3,/,
    );
  });

  it('runs a job to Completed, delivers its events, exposes MLflow metrics, then deploys, scores, measures and deletes', async () => {
    const subscribe = await admin(h.emulator, 'PUT', 'subscriptions/app', {
      endpointUrl: hook.url,
      eventTypes: [
        'Microsoft.MachineLearningServices.RunStatusChanged',
        'Microsoft.MachineLearningServices.RunCompleted',
      ],
    });
    expect(subscribe.status).toBe(201);
    expect(hook.handshakes).toBe(1);

    const created = await h.ml.jobs.createOrUpdate(h.rg, h.ws, RUN_ID, pipelineJob(RUN_ID));
    expect(created.properties.status).toBe('NotStarted');
    expect(created.properties.tags).toEqual({
      'autopilot-run-id': RUN_ID,
      'autopilot-owner': 'finetune-autopilot',
    });
    // The same body again is idempotent.
    const again = await h.ml.jobs.createOrUpdate(h.rg, h.ws, RUN_ID, pipelineJob(RUN_ID));
    expect(again.name).toBe(RUN_ID);

    const seen = new Set<string>();
    const done = await waitUntil(
      async () => {
        const job = await h.ml.jobs.get(h.rg, h.ws, RUN_ID);
        seen.add(job.properties.status!);
        return job;
      },
      (job) => job.properties.status === 'Completed',
    );
    expect(done.properties.status).toBe('Completed');
    expect(seen.has('Running')).toBe(true);

    const listed = [];
    for await (const j of h.ml.jobs.list(h.rg, h.ws, { tag: `autopilot-run-id=${RUN_ID}` }))
      listed.push(j.name);
    expect(listed).toEqual([RUN_ID]);

    // Events: parent and every step, RunCompleted on success, Event Grid schema and headers.
    await hook.waitFor((events) =>
      events.some((e) => e.eventType.endsWith('RunCompleted') && e.data.runId === RUN_ID),
    );
    const ws = `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}`;
    const parent = hook.events.filter((e) => e.data.runId === RUN_ID);
    expect(parent.map((e) => `${e.eventType.split('.').pop()}:${e.data.runStatus}`)).toEqual([
      'RunStatusChanged:Queued',
      'RunStatusChanged:Running',
      'RunStatusChanged:Completed',
      'RunCompleted:Completed',
    ]);
    for (const e of parent) {
      expect(e.topic).toBe(ws);
      expect(e.subject).toBe(`experiments/${e.data.experimentId}/runs/${RUN_ID}`);
      expect(e.data).toMatchObject({
        runType: 'azureml.PipelineRun',
        experimentName: 'chat_completion_Phi-4',
        runTags: { 'autopilot-run-id': RUN_ID },
      });
      expect(e.headers['aeg-event-type']).toBe('Notification');
    }
    const children = hook.events.filter(
      (e) => e.data.runId !== RUN_ID && e.eventType.endsWith('RunStatusChanged'),
    );
    // The pipeline component's node run and its seven steps (0.0.78), each Running then Completed.
    expect(children).toHaveLength(16);
    expect(children[0]!.data).toMatchObject({
      runType: 'azureml.StepRun',
      runTags: {},
      runProperties: { 'azureml.pipelinerunid': RUN_ID },
    });

    // MLflow: children by parent run id, loss curves on the fine-tune step.
    const tracking = (await h.ml.workspaces.get(h.rg, h.ws)).mlFlowTrackingUri!.replace(
      /^azureml:/,
      'https:',
    );
    const auth = { authorization: 'Bearer t' };
    const search = await https<{ runs: MlflowRun[] }>(
      h.emulator,
      'POST',
      `${tracking}/api/2.0/mlflow/runs/search`,
      { filter: `tags.mlflow.parentRunId = '${RUN_ID}'`, max_results: 50 },
      auth,
    );
    expect(search.status).toBe(200);
    expect(search.body.runs.map((r) => r.info.run_name)).toEqual(['chat_completion_pipeline']);
    const steps = await https<{ runs: MlflowRun[] }>(
      h.emulator,
      'POST',
      `${tracking}/api/2.0/mlflow/runs/search`,
      { filter: `tags.mlflow.parentRunId = '${search.body.runs[0]!.info.run_id}'`, max_results: 50 },
      auth,
    );
    const byName = Object.fromEntries(steps.body.runs.map((r) => [r.info.run_name, r]));
    expect(Object.keys(byName).sort()).toEqual([
      'chat_completion_datapreprocess',
      'chat_completion_finetune',
      'chat_completion_model_import',
      'compute_metrics',
      'ft_nlp_common_validation',
      'ft_nlp_model_converter',
      'model_prediction',
    ]);
    const finetune = byName.chat_completion_finetune!;
    expect(finetune.info.status).toBe('FINISHED');
    const keys = finetune.data.metrics.map((m) => m.key);
    expect(keys).toEqual(expect.arrayContaining(['loss', 'eval_loss', 'train_loss', 'train_runtime']));
    const history = await https<{ metrics: { value: number }[] }>(
      h.emulator,
      'GET',
      `${tracking}/api/2.0/mlflow/metrics/get-history?run_id=${finetune.info.run_id}&metric_key=loss`,
      undefined,
      auth,
    );
    const losses = history.body.metrics.map((m) => m.value);
    expect(losses).toHaveLength(30);
    expect(losses[0]).toBeGreaterThan(losses[losses.length - 1]!);
    const run = await https<{ run: MlflowRun }>(
      h.emulator,
      'GET',
      `${tracking}/api/2.0/mlflow/runs/get?run_id=${RUN_ID}`,
      undefined,
      auth,
    );
    expect(run.body.run.info).toMatchObject({ run_id: RUN_ID, status: 'FINISHED' });

    // Register the trained model from the job output.
    const model = await h.ml.modelVersions.createOrUpdate(h.rg, h.ws, 'phi3-ft', '1', {
      properties: {
        modelType: 'mlflow_model',
        modelUri: `azureml://jobs/${RUN_ID}/outputs/trained_model`,
        tags: { 'autopilot-run-id': RUN_ID },
      },
    });
    expect(model.id).toBe(`${ws}/models/phi3-ft/versions/1`);

    // Endpoint and deployment as long-running operations.
    const endpoint = await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      {
        location: 'eastus',
        tags: { 'autopilot-owner': 'finetune-autopilot', 'autopilot-run-id': RUN_ID },
        properties: { authMode: 'Key' },
      },
      poll,
    );
    expect(endpoint.properties.provisioningState).toBe('Succeeded');
    expect(endpoint.properties.scoringUri).toBe(`${h.emulator.baseUrl}/score/${ENDPOINT}`);
    expect(endpoint.systemData?.createdAt).toBeInstanceOf(Date);
    const deployment = await h.ml.onlineDeployments.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      'demo',
      {
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: model.id!,
          instanceType: 'Standard_NC24ads_A100_v4',
          livenessProbe: { initialDelay: 'PT10M' },
          requestSettings: { requestTimeout: 'PT1M30S' },
        },
      },
      poll,
    );
    expect(deployment.properties.provisioningState).toBe('Succeeded');

    // Traffic: GET, set, PUT again.
    const current = await h.ml.onlineEndpoints.get(h.rg, h.ws, ENDPOINT);
    current.properties.traffic = { demo: 100 };
    const updated = await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      current,
      poll,
    );
    expect(updated.properties.traffic).toEqual({ demo: 100 });

    // Score with the key, deterministically.
    const keys2 = await h.ml.onlineEndpoints.listKeys(h.rg, h.ws, ENDPOINT);
    const request = {
      input_data: {
        input_string: [{ role: 'user', content: 'What is LoRA?' }],
        parameters: { max_new_tokens: 64 },
      },
    };
    const first = await https<{ output: string }>(
      h.emulator,
      'POST',
      updated.properties.scoringUri!,
      request,
      {
        authorization: `Bearer ${keys2.primaryKey}`,
      },
    );
    const second = await https<{ output: string }>(
      h.emulator,
      'POST',
      updated.properties.scoringUri!,
      request,
      {
        authorization: `Bearer ${keys2.secondaryKey}`,
      },
    );
    expect(first.status).toBe(200);
    expect(first.headers['azureml-model-deployment']).toBe('demo');
    expect(typeof first.body.output).toBe('string');
    expect(second.body).toEqual(first.body);

    // Azure Monitor sees the two requests.
    const now = Date.now();
    const metrics = await h.monitor.metrics.list(endpoint.id!, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(now - 5 * 60_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
      interval: 'PT1M',
      aggregation: 'Total',
    });
    const data = metrics.value[0]!.timeseries[0]!.data!;
    expect(data.length).toBeGreaterThanOrEqual(6);
    expect(data.reduce((sum, p) => sum + (p.total ?? 0), 0)).toBe(2);
    expect(data[0]!.timeStamp).toBeInstanceOf(Date);

    // Owned endpoints are listed by tag; deleting is a long-running operation.
    const owned = [];
    for await (const e of h.ml.onlineEndpoints.list(h.rg, h.ws, {
      tags: 'autopilot-owner=finetune-autopilot',
    }))
      owned.push(e.name);
    expect(owned).toEqual([ENDPOINT]);
    const logs = await h.ml.onlineDeployments.getLogs(h.rg, h.ws, ENDPOINT, 'demo', {
      containerType: 'InferenceServer',
      tail: 50,
    });
    expect(logs.content).toContain('Model loaded');
    await h.ml.onlineEndpoints.beginDeleteAndWait(h.rg, h.ws, ENDPOINT, poll);
    await expect(h.ml.onlineEndpoints.get(h.rg, h.ws, ENDPOINT)).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    const afterDelete = await https(h.emulator, 'POST', `/score/${ENDPOINT}`, request, {
      authorization: `Bearer ${keys2.primaryKey}`,
    });
    expect(afterDelete.status).toBe(404);
  });
});
