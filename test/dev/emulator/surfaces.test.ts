// Details of the non-ARM surfaces: metrics split by deployment and empty buckets, scoring input checks
// and routing, MLflow's empty answers and errors, and ARM's refusal to delete a deployment with traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { https, pipelineJob, startHarness, type Harness } from './harness.js';

const poll = { updateIntervalInMs: 20 };
const ENDPOINT = 'ep-surfaces';

describe('emulator surfaces', () => {
  let h: Harness;
  let key = '';
  let scoringUri = '';
  let endpointId = '';
  beforeAll(async () => {
    h = await startHarness();
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-surfaces', pipelineJob('ft-surfaces'));
    // Register straight from a job that is made to complete now.
    await https(h.emulator, 'POST', `${h.emulator.adminUrl}jobs/ft-surfaces/outcome`, {
      status: 'Completed',
    });
    const model = await h.ml.modelVersions.createOrUpdate(h.rg, h.ws, 'phi3-surfaces', '1', {
      properties: { modelType: 'mlflow_model', modelUri: 'azureml://jobs/ft-surfaces/outputs/trained_model' },
    });
    const ep = await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      { location: 'eastus', properties: { authMode: 'Key' } },
      poll,
    );
    for (const name of ['blue', 'green']) {
      await h.ml.onlineDeployments.beginCreateOrUpdateAndWait(
        h.rg,
        h.ws,
        ENDPOINT,
        name,
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
    }
    ep.properties.traffic = { blue: 50, green: 50 };
    await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(h.rg, h.ws, ENDPOINT, ep, poll);
    key = (await h.ml.onlineEndpoints.listKeys(h.rg, h.ws, ENDPOINT)).primaryKey!;
    scoringUri = ep.properties.scoringUri!;
    endpointId = ep.id!;
  });
  afterAll(() => h.close());

  const score = (body: unknown, headers: Record<string, string> = {}) =>
    https<{ output?: string; error?: { message: string } }>(h.emulator, 'POST', scoringUri, body, {
      authorization: `Bearer ${key}`,
      ...headers,
    });
  const chat = {
    input_data: {
      input_string: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      parameters: { temperature: 0.6 },
    },
  };

  it('splits traffic between deployments and honours the deployment header', async () => {
    const served = [];
    for (let i = 0; i < 4; i++) served.push((await score(chat)).headers['azureml-model-deployment']);
    expect(new Set(served)).toEqual(new Set(['blue', 'green']));
    const pinned = await score(chat, { 'azureml-model-deployment': 'green' });
    expect(pinned.headers['azureml-model-deployment']).toBe('green');
  });

  it('rejects a scoring body that is not the chat format, naming the bad message', async () => {
    const noInput = await score({ data: [] });
    expect(noInput.status).toBe(400);
    const badRole = await score({ input_data: { input_string: [{ role: 'bot', content: 'hi' }] } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error?.message).toContain('input_data.input_string[0] must be');
  });

  it('reports RequestsPerMinute per deployment, with empty buckets carrying no value', async () => {
    const now = Date.now();
    const result = await h.monitor.metrics.list(endpointId, {
      metricnames: 'RequestsPerMinute',
      timespan: `${new Date(now - 3 * 60_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
      interval: 'PT1M',
      aggregation: 'Total',
      filter: "deployment eq '*'",
    });
    const metric = result.value[0]!;
    expect(metric.name.value).toBe('RequestsPerMinute');
    expect(metric.unit).toBe('Count');
    const byDeployment = Object.fromEntries(
      metric.timeseries.map((series) => [
        series.metadatavalues![0]!.value,
        series.data!.reduce((sum, p) => sum + (p.total ?? 0), 0),
      ]),
    );
    expect(byDeployment).toEqual({ blue: 3, green: 2 }); // bands 0, 37, 74, 11 of 50/50, then one pinned to green
    const blue = metric.timeseries.find((s) => s.metadatavalues![0]!.value === 'blue')!;
    expect(blue.data!.filter((p) => p.total === undefined).length).toBeGreaterThanOrEqual(3);
  });

  it('rejects an unknown metric name and a malformed timespan', async () => {
    await expect(h.monitor.metrics.list(endpointId, { metricnames: 'CpuUtilization' })).rejects.toMatchObject(
      { statusCode: 400 },
    );
    await expect(
      h.monitor.metrics.list(endpointId, { metricnames: 'RequestsPerMinute', timespan: 'yesterday' }),
    ).rejects.toThrow('Invalid timespan');
  });

  it('answers MLflow the way MLflow does: {} for no match, RESOURCE_DOES_NOT_EXIST for an unknown run', async () => {
    const tracking = (await h.ml.workspaces.get(h.rg, h.ws)).mlFlowTrackingUri!.replace(
      /^azureml:/,
      'https:',
    );
    const auth = { authorization: 'Bearer t' };
    const none = await https(
      h.emulator,
      'POST',
      `${tracking}/api/2.0/mlflow/runs/search`,
      { filter: "tags.mlflow.parentRunId = 'nobody'" },
      auth,
    );
    expect(none).toMatchObject({ status: 200, body: {} });
    const unknown = await https(
      h.emulator,
      'GET',
      `${tracking}/api/2.0/mlflow/runs/get?run_id=nope`,
      undefined,
      auth,
    );
    expect(unknown).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    const badFilter = await https(
      h.emulator,
      'POST',
      `${tracking}/api/2.0/mlflow/runs/search`,
      { filter: 'metrics.loss < 1' },
      auth,
    );
    expect(badFilter).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('refuses to delete a deployment that still has traffic', async () => {
    await expect(
      h.ml.onlineDeployments.beginDeleteAndWait(h.rg, h.ws, ENDPOINT, 'blue', poll),
    ).rejects.toThrow(
      "Deployment 'blue' has 50% of endpoint 'ep-surfaces' traffic; set its traffic to 0 before deleting it.",
    );
  });
});
