// The documented shapes the emulator answers in: both scoring request shapes with the `{"output"}`
// response (dev/emulator/facts/scoring.json), RequestsPerMinute's default aggregation (Average) and
// no-data minutes (dev/emulator/facts/metrics.json), and a job's real child-step tree per component
// version in MLflow and in its RunStatusChanged events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  https,
  pipelineJob,
  startHarness,
  startWebhook,
  waitUntil,
  type Harness,
  type MlflowRun,
  type Webhook,
} from './harness.js';

const poll = { updateIntervalInMs: 20 };
const ENDPOINT = 'ep-served';
const auth = { authorization: 'Bearer t' };

describe('emulator scoring and metrics shapes', () => {
  let h: Harness;
  let key = '';
  let scoringUri = '';
  let endpointId = '';
  beforeAll(async () => {
    h = await startHarness();
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-served', pipelineJob('ft-served'));
    await admin(h.emulator, 'POST', 'jobs/ft-served/outcome', { status: 'Completed' });
    const model = await h.ml.modelVersions.createOrUpdate(h.rg, h.ws, 'phi4-served', '1', {
      properties: { modelType: 'mlflow_model', modelUri: 'azureml://jobs/ft-served/outputs/trained_model' },
    });
    const ep = await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      { location: 'eastus', properties: { authMode: 'Key' } },
      poll,
    );
    await h.ml.onlineDeployments.beginCreateOrUpdateAndWait(
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
        },
      },
      poll,
    );
    ep.properties.traffic = { demo: 100 };
    await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(h.rg, h.ws, ENDPOINT, ep, poll);
    key = (await h.ml.onlineEndpoints.listKeys(h.rg, h.ws, ENDPOINT)).primaryKey!;
    scoringUri = ep.properties.scoringUri!;
    endpointId = ep.id!;
  });
  afterAll(() => h.close());

  const score = (body: unknown) =>
    https<{ output?: unknown; error?: { message: string } }>(h.emulator, 'POST', scoringUri, body, {
      authorization: `Bearer ${key}`,
    });
  const conversation = [{ role: 'user', content: 'I am going to Paris, what should I see?' }];
  const parameters = { temperature: 0.6, top_p: 0.9, do_sample: true, max_new_tokens: 200 };

  it("answers the notebook's list of one conversation with {output: <text>}", async () => {
    const reply = await score({ input_data: { input_string: [conversation], parameters }, params: {} });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(['output']);
    expect(typeof reply.body.output).toBe('string');
  });

  it("answers the model notes' single conversation with {output: <text>}", async () => {
    const reply = await score({ input_data: { input_string: conversation, parameters } });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(['output']);
  });

  it('answers both shapes of the same conversation alike', async () => {
    const list = await score({ input_data: { input_string: [conversation], parameters }, params: {} });
    const single = await score({ input_data: { input_string: conversation, parameters } });
    expect(list.body.output).toBe(single.body.output);
  });

  it('refuses a list of several conversations, whose response shape is not documented', async () => {
    const reply = await score({ input_data: { input_string: [conversation, conversation], parameters } });
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toBe(
      'input_data.input_string holds 2 conversations; send one conversation per request.',
    );
  });

  it('names the bad message inside a listed conversation', async () => {
    const reply = await score({ input_data: { input_string: [[{ role: 'bot', content: 'hi' }]] } });
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toBe(
      'input_data.input_string[0][0] must be {"role": "system"|"user"|"assistant", "content": "<text>"}.',
    );
  });

  it('aggregates RequestsPerMinute by Average when no aggregation is asked for', async () => {
    await score({ input_data: { input_string: conversation, parameters } });
    const now = Date.now();
    const result = await h.monitor.metrics.list(endpointId, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(now - 60_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
      interval: 'PT1M',
    });
    const points = result.value[0]!.timeseries[0]!.data!;
    const withData = points.filter((p) => p.average !== undefined);
    expect(withData.length).toBeGreaterThan(0);
    expect(withData.every((p) => p.total === undefined)).toBe(true);
  });

  it('answers a minute without requests with its timestamp and no value', async () => {
    const now = Date.now();
    const result = await h.monitor.metrics.list(endpointId, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(now - 30 * 60_000).toISOString()}/${new Date(now - 20 * 60_000).toISOString()}`,
      interval: 'PT1M',
      aggregation: 'Average,Total',
    });
    const first = result.value[0]!.timeseries[0]!.data![0]!;
    expect(first.timeStamp).toBeInstanceOf(Date);
    expect([first.average, first.total, first.count]).toEqual([undefined, undefined, undefined]);
  });

  it('splits RequestsPerMinute by the deployment dimension', async () => {
    await score({ input_data: { input_string: conversation, parameters } });
    const now = Date.now();
    const result = await h.monitor.metrics.list(endpointId, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(now - 60_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
      interval: 'PT1M',
      filter: "deployment eq '*'",
    });
    expect(result.value[0]!.timeseries.map((s) => s.metadatavalues)).toEqual([
      [{ name: { value: 'deployment', localizedValue: 'deployment' }, value: 'demo' }],
    ]);
  });
});

describe('emulator child-step tree per component version', () => {
  let h: Harness;
  let hook: Webhook;
  let tracking = '';
  beforeAll(async () => {
    h = await startHarness();
    hook = await startWebhook();
    await admin(h.emulator, 'PUT', 'subscriptions/app', {
      endpointUrl: hook.url,
      eventTypes: ['Microsoft.MachineLearningServices.RunStatusChanged'],
    });
    tracking = (await h.ml.workspaces.get(h.rg, h.ws)).mlFlowTrackingUri!.replace(/^azureml:/, 'https:');
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  const search = (parent: string) =>
    https<{ runs?: MlflowRun[] }>(
      h.emulator,
      'POST',
      `${tracking}/api/2.0/mlflow/runs/search`,
      { filter: `tags.mlflow.parentRunId = '${parent}'` },
      auth,
    );

  const completed = async (name: string, version: string) => {
    const body = pipelineJob(name);
    const node = (body.properties as { jobs: Record<string, Record<string, unknown>> }).jobs
      .chat_completion_pipeline!;
    node.componentId = `azureml://registries/azureml/components/chat_completion_pipeline/versions/${version}`;
    if (version === '0.0.76') delete (node.inputs as Record<string, unknown>).compute_model_evaluation;
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, name, body);
    await waitUntil(
      () => h.ml.jobs.get(h.rg, h.ws, name),
      (j) => j.properties.status === 'Completed',
    );
    const nodeRun = (await search(name)).body.runs![0]!;
    return (await search(nodeRun.info.run_id)).body.runs!.map((r) => r.info.run_name).sort();
  };

  it('runs the steps of 0.0.57, whose converter is chat_completion_model_converter', async () => {
    expect(await completed('ft-tree-57', '0.0.57')).toEqual([
      'chat_completion_datapreprocess',
      'chat_completion_finetune',
      'chat_completion_model_converter',
      'chat_completion_model_import',
      'compute_metrics',
      'ft_nlp_common_validation',
      'model_prediction',
    ]);
  });

  it('runs the steps of 0.0.76, which has no evaluation steps', async () => {
    expect(await completed('ft-tree-76', '0.0.76')).toEqual([
      'chat_completion_datapreprocess',
      'chat_completion_finetune',
      'chat_completion_model_import',
      'ft_nlp_common_validation',
      'ft_nlp_model_converter',
    ]);
  });

  it("sends each step's RunStatusChanged as a StepRun without the job's tags", async () => {
    await completed('ft-tree-events', '0.0.78');
    await hook.waitFor((events) =>
      events.some((e) => e.data.runId === 'ft-tree-events' && e.data.runStatus === 'Completed'),
    );
    const nodeRun = (await search('ft-tree-events')).body.runs![0]!;
    const stepIds = new Set((await search(nodeRun.info.run_id)).body.runs!.map((r) => r.info.run_id));
    const stepEvents = hook.events.filter((e) => stepIds.has(e.data.runId));
    expect(stepEvents).toHaveLength(14);
    expect(new Set(stepEvents.map((e) => `${e.data.runType}|${JSON.stringify(e.data.runTags)}`))).toEqual(
      new Set(['azureml.StepRun|{}']),
    );
  });

  it('logs the Trainer metric keys on the fine-tune step and none on compute_metrics', async () => {
    await completed('ft-tree-metrics', '0.0.78');
    const nodeRun = (await search('ft-tree-metrics')).body.runs![0]!;
    const runs = (await search(nodeRun.info.run_id)).body.runs!;
    const keys = (name: string) =>
      [...new Set(runs.find((r) => r.info.run_name === name)!.data.metrics.map((m) => m.key))].sort();
    expect(keys('chat_completion_finetune')).toEqual([
      'epoch',
      'eval_loss',
      'eval_runtime',
      'eval_samples_per_second',
      'eval_steps_per_second',
      'grad_norm',
      'learning_rate',
      'loss',
      'total_flos',
      'train_loss',
      'train_runtime',
      'train_samples_per_second',
      'train_steps_per_second',
    ]);
    expect(keys('compute_metrics')).toEqual([]);
  });
});

describe('emulator child events with the job tags (childEventsCarryJobTags)', () => {
  let h: Harness;
  let hook: Webhook;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        clock: { jobSeconds: 1, lroSeconds: 0.2 },
        delivery: { retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 5 },
        childEventsCarryJobTags: true,
      },
    });
    hook = await startWebhook();
    await admin(h.emulator, 'PUT', 'subscriptions/app', {
      endpointUrl: hook.url,
      eventTypes: ['Microsoft.MachineLearningServices.RunStatusChanged'],
    });
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  it("sends step events with the job's tags and a runId other than the job name", async () => {
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-tagged', pipelineJob('ft-tagged'));
    await hook.waitFor((events) =>
      events.some((e) => e.data.runId === 'ft-tagged' && e.data.runStatus === 'Completed'),
    );
    const steps = hook.events.filter((e) => e.data.runType === 'azureml.StepRun');
    expect(steps).toHaveLength(14);
    expect(
      steps.every((e) => e.data.runTags['autopilot-run-id'] === 'ft-tagged' && e.data.runId !== 'ft-tagged'),
    ).toBe(true);
  });
});

describe('emulator late metrics (metricsLatencySeconds)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        clock: { jobSeconds: 1, lroSeconds: 0.2 },
        delivery: { retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 5 },
        metricsLatencySeconds: 180,
      },
    });
  });
  afterAll(() => h.close());

  it('reports no value for minutes whose data is not yet ingested, though requests were served', async () => {
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-late', pipelineJob('ft-late'));
    await admin(h.emulator, 'POST', 'jobs/ft-late/outcome', { status: 'Completed' });
    const model = await h.ml.modelVersions.createOrUpdate(h.rg, h.ws, 'phi4-late', '1', {
      properties: { modelType: 'mlflow_model', modelUri: 'azureml://jobs/ft-late/outputs/trained_model' },
    });
    const ep = await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      'ep-late',
      { location: 'eastus', properties: { authMode: 'Key' } },
      poll,
    );
    await h.ml.onlineDeployments.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      'ep-late',
      'demo',
      {
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: model.id!,
          instanceType: 'Standard_NC24ads_A100_v4',
        },
      },
      poll,
    );
    const key = (await h.ml.onlineEndpoints.listKeys(h.rg, h.ws, 'ep-late')).primaryKey!;
    const scored = await https(
      h.emulator,
      'POST',
      ep.properties.scoringUri!,
      { input_data: { input_string: [{ role: 'user', content: 'Hello' }] } },
      { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'demo' },
    );
    expect(scored.status).toBe(200);
    // Three whole minutes ending with the current one.
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
    const result = await h.monitor.metrics.list(ep.id!, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(start).toISOString()}/${new Date(start + 3 * 60_000).toISOString()}`,
      interval: 'PT1M',
      aggregation: 'Total',
    });
    expect(result.value[0]!.timeseries[0]!.data!.map((p) => p.total)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('emulator run events shaped like the Event Grid examples (runEventsLikeExamples)', () => {
  let h: Harness;
  let hook: Webhook;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        clock: { jobSeconds: 1, lroSeconds: 0.2 },
        delivery: { retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 5 },
        runEventsLikeExamples: true,
      },
    });
    hook = await startWebhook();
    await admin(h.emulator, 'PUT', 'subscriptions/app', { endpointUrl: hook.url });
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-examples', pipelineJob('ft-examples'));
    await hook.waitFor((events) =>
      events.some((e) => e.data.runId === 'ft-examples' && e.eventType.endsWith('RunCompleted')),
    );
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  // Azure/azure-rest-api-specs eventgrid .../examples/run_status_changed.json: runType null, "failed".
  it('sends RunStatusChanged with runType null and the status in lower case', () => {
    const changed = hook.events.filter(
      (e) => e.data.runId === 'ft-examples' && e.eventType.endsWith('RunStatusChanged'),
    );
    expect(changed.map((e) => [e.data.runType, e.data.runStatus])).toEqual([
      [null, 'queued'],
      [null, 'running'],
      [null, 'completed'],
    ]);
  });

  // Azure/azure-rest-api-specs eventgrid .../examples/run_completed.json: no runStatus, dataVersion ''.
  it('sends RunCompleted without runStatus and with an empty dataVersion', () => {
    const completed = hook.events.find(
      (e) => e.data.runId === 'ft-examples' && e.eventType.endsWith('RunCompleted'),
    )!;
    expect('runStatus' in completed.data).toBe(false);
    expect((completed as unknown as { dataVersion: string }).dataVersion).toBe('');
  });
});
