import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ARM_API_VERSION, AzureMlArmGateway } from '../../src/adapters/azureMlGateway.js';
import { STATIC_TOKEN, StaticTokenCredential } from '../../src/adapters/credential.js';
import { ServiceUnavailableError } from '../../src/adapters/errors.js';
import { transportOptions } from '../../src/adapters/http.js';
import { DomainError } from '../../src/domain/errors.js';
import type { PipelineJobRequest } from '../../src/domain/resources.js';
import { RecordingServer } from '../support/recordingServer.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'rg-autopilot-local';
const WS = 'mlw-autopilot-local';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
const FAST_RETRY = { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50, maxRetryAfterInMs: 2_000 };

let server: RecordingServer;
let gateway: AzureMlArmGateway;

function makeGateway(caCertPath: string | undefined): AzureMlArmGateway {
  return new AzureMlArmGateway({
    settings: {
      subscriptionId: SUB,
      resourceGroup: RG,
      workspace: WS,
      location: 'eastus',
      armEndpoint: server.baseUrl,
    },
    credential: new StaticTokenCredential(),
    transport: transportOptions(caCertPath, FAST_RETRY),
    lroPollIntervalInMs: 5,
  });
}

beforeAll(async () => {
  server = await RecordingServer.start();
  gateway = makeGateway(server.caPath);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/** What the domain's buildPipelineJob produces: asset inputs inside jobs.<node>.inputs, snake_case. */
const JOB_REQUEST: PipelineJobRequest = {
  properties: {
    jobType: 'Pipeline',
    displayName: 'Phi-3-mini-4k-instruct-ultrachat-bs4-cosine-ds2-lora-save_limit1-seqlen2048',
    experimentName: 'chat_completion_Phi-3-mini-4k-instruct',
    tags: { 'autopilot-run-id': 'ft-0123456789abcdef0123', 'autopilot-owner': 'finetune-autopilot' },
    settings: { force_rerun: true, continue_on_step_failure: false },
    jobs: {
      finetune_pipeline: {
        type: 'pipeline',
        componentId: 'azureml://registries/azureml/components/chat_completion_pipeline/labels/latest',
        inputs: {
          mlflow_model_path: {
            job_input_type: 'mlflow_model',
            uri: 'azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/7',
          },
          train_file_path: {
            job_input_type: 'uri_file',
            uri: 'azureml://datastores/trainingdata/paths/runs/ft-0123456789abcdef0123/train.jsonl',
          },
          compute_finetune: { job_input_type: 'literal', value: 'gpu-cluster' },
          learning_rate: { job_input_type: 'literal', value: '5e-06' },
        },
        outputs: { mlflow_model_folder: { value: '${{parent.outputs.trained_model}}', type: 'literal' } },
      },
    },
    // A top-level asset input: exactly what the SDK 2.1.1 serializer would strip `uri`/`mode` from.
    inputs: {
      extra: {
        jobInputType: 'uri_file',
        uri: 'azureml://datastores/trainingdata/paths/x.jsonl',
        mode: 'ReadOnlyMount',
      },
    },
    outputs: { trained_model: { jobOutputType: 'mlflow_model' } },
  },
};

function endpointBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `${WS_PATH}/onlineEndpoints/${name}`,
    name,
    location: 'eastus',
    tags: { 'autopilot-owner': 'finetune-autopilot' },
    properties: {
      authMode: 'Key',
      provisioningState: 'Succeeded',
      scoringUri: `${server.baseUrl}/score/${name}`,
      traffic: {},
      ...extra,
    },
    systemData: { createdAt: '2026-11-25T10:00:00Z' },
  };
}

describe('AzureMlArmGateway', () => {
  it('createJob puts the domain body on the wire byte for byte, asset input uri intact', async () => {
    server.on('PUT', `${WS_PATH}/jobs/ft-0123456789abcdef0123`, (req) => ({
      status: 201,
      body: {
        name: 'ft-0123456789abcdef0123',
        properties: { ...JSON.parse(req.body).properties, status: 'NotStarted' },
      },
    }));

    const job = await gateway.createJob('ft-0123456789abcdef0123', JOB_REQUEST);

    const [put] = server.recorded('PUT');
    expect(put?.query.get('api-version')).toBe(ARM_API_VERSION);
    expect(put?.body).toBe(JSON.stringify(JOB_REQUEST));
    expect(put?.headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
    expect(job).toEqual({
      name: 'ft-0123456789abcdef0123',
      status: 'NotStarted',
      displayName: 'Phi-3-mini-4k-instruct-ultrachat-bs4-cosine-ds2-lora-save_limit1-seqlen2048',
      tags: { 'autopilot-run-id': 'ft-0123456789abcdef0123', 'autopilot-owner': 'finetune-autopilot' },
    });
  });

  it('createJob turns a 400 into a DomainError keeping the service code and message', async () => {
    server.on('PUT', `${WS_PATH}/jobs/bad`, {
      status: 400,
      body: { error: { code: 'UserError', message: 'Input train_file_path is not a valid uri' } },
    });

    const error = await gateway.createJob('bad', JOB_REQUEST).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'AZUREML.BAD_REQUEST',
      message: 'PUT job bad: UserError: Input train_file_path is not a valid uri',
      details: { status: 400, serviceCode: 'UserError', operation: 'PUT job bad' },
    });
    expect(server.recorded('PUT')).toHaveLength(1);
  });

  it('an SDK operation answered 400 keeps the service code and message too', async () => {
    server.on('GET', `${WS_PATH}/computes/bad name`, {
      status: 400,
      body: { error: { code: 'ValidationError', message: 'Compute name is invalid' } },
    });

    await expect(gateway.getCompute('bad name')).rejects.toMatchObject({
      name: 'DomainError',
      code: 'AZUREML.BAD_REQUEST',
      message: 'GET compute bad name: ValidationError: Compute name is invalid',
    });
  });

  it('getters answer undefined on 404', async () => {
    server.on('GET', /./, { status: 404, body: { error: { code: 'ResourceNotFound', message: 'nope' } } });

    expect(await gateway.getCompute('missing')).toBeUndefined();
    expect(await gateway.getJob('missing')).toBeUndefined();
    expect(await gateway.getEndpoint('missing')).toBeUndefined();
    expect(await gateway.getDeployment('missing', 'demo')).toBeUndefined();
    expect(await gateway.getModelVersion('missing', '1')).toBeUndefined();
  });

  it('getCompute reads state, type, VM size and max nodes', async () => {
    server.on('GET', `${WS_PATH}/computes/gpu-cluster`, {
      status: 200,
      body: {
        name: 'gpu-cluster',
        properties: {
          computeType: 'AmlCompute',
          provisioningState: 'Succeeded',
          properties: { vmSize: 'Standard_NC24rs_v3', scaleSettings: { maxNodeCount: 2, minNodeCount: 0 } },
        },
      },
    });

    expect(await gateway.getCompute('gpu-cluster')).toEqual({
      name: 'gpu-cluster',
      provisioningState: 'Succeeded',
      computeType: 'AmlCompute',
      vmSize: 'Standard_NC24rs_v3',
      maxNodes: 2,
    });
    expect(server.recorded('GET')[0]?.query.get('api-version')).toBe(ARM_API_VERSION);
  });

  it("getCompute keeps Azure ML's provisioning error messages of a failed cluster", async () => {
    server.on('GET', `${WS_PATH}/computes/failed-cluster`, {
      status: 200,
      body: {
        name: 'failed-cluster',
        properties: {
          computeType: 'AmlCompute',
          provisioningState: 'Failed',
          provisioningErrors: [
            { error: { code: 'ComputeProvisioningFailed', message: 'Quota exceeded.' } },
            { error: { code: 'Other' } },
          ],
          properties: { vmSize: 'Standard_NC24rs_v3', scaleSettings: { maxNodeCount: 1, minNodeCount: 0 } },
        },
      },
    });

    expect(await gateway.getCompute('failed-cluster')).toEqual({
      name: 'failed-cluster',
      provisioningState: 'Failed',
      computeType: 'AmlCompute',
      vmSize: 'Standard_NC24rs_v3',
      maxNodes: 1,
      provisioningErrors: ['Quota exceeded.'],
    });
  });

  it('lists VM sizes and usages of the location', async () => {
    const locations = `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/locations/eastus`;
    server.on('GET', `${locations}/vmSizes`, {
      status: 200,
      body: { value: [{ name: 'Standard_NC24rs_v3', family: 'standardNCSv3Family', vCPUs: 24, gpus: 4 }] },
    });
    server.on('GET', `${locations}/usages`, {
      status: 200,
      body: {
        value: [
          {
            id: `/subscriptions/${SUB}/usages/Standard_NCSv3_Family_Cluster_Dedicated_vCPUs`,
            type: 'Microsoft.MachineLearningServices/vmFamily/usages',
            name: {
              value: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
              localizedValue: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
            },
            currentValue: 24,
            limit: 48,
            unit: 'Count',
          },
        ],
      },
    });

    expect(await gateway.listVmSizes()).toEqual([
      { name: 'Standard_NC24rs_v3', gpus: 4, vCPUs: 24, family: 'standardNCSv3Family' },
    ]);
    expect(await gateway.listUsages()).toEqual([
      {
        name: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
        scope: 'subscription',
        currentValue: 24,
        limit: 48,
      },
    ]);
  });

  it('reads the MLflow tracking uri of the workspace', async () => {
    server.on('GET', WS_PATH, {
      status: 200,
      body: { name: WS, properties: { mlFlowTrackingUri: 'azureml://127.0.0.1:1/mlflow/v1.0' + WS_PATH } },
    });

    expect(await gateway.getMlflowTrackingUri()).toBe('azureml://127.0.0.1:1/mlflow/v1.0' + WS_PATH);
  });

  it('a workspace without an MLflow tracking uri is AZUREML.NO_MLFLOW', async () => {
    server.on('GET', WS_PATH, { status: 200, body: { name: WS, properties: {} } });

    await expect(gateway.getMlflowTrackingUri()).rejects.toMatchObject({
      name: 'DomainError',
      code: 'AZUREML.NO_MLFLOW',
    });
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    server.sequence('GET', `${WS_PATH}/jobs/ft-1`, [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { code: 'TooManyRequests', message: 'slow down' } },
      },
      {
        status: 200,
        body: { name: 'ft-1', properties: { jobType: 'Pipeline', status: 'Running', tags: {} } },
      },
    ]);

    const started = Date.now();
    const job = await gateway.getJob('ft-1');

    expect(job).toEqual({ name: 'ft-1', status: 'Running', tags: {} });
    expect(server.recorded('GET')).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("reads the job's studio page from properties.services", async () => {
    const studio = 'https://ml.azure.com/runs/ft-8?wsid=/subscriptions/s';
    server.on('GET', `${WS_PATH}/jobs/ft-8`, {
      status: 200,
      body: {
        name: 'ft-8',
        properties: {
          jobType: 'Pipeline',
          status: 'Failed',
          tags: {},
          services: { Studio: { jobServiceType: 'Studio', endpoint: studio } },
        },
      },
    });
    expect(await gateway.getJob('ft-8')).toEqual({
      name: 'ft-8',
      status: 'Failed',
      tags: {},
      studioUrl: studio,
    });
  });

  it('retries a 429 that gives no Retry-After', async () => {
    server.sequence('GET', `${WS_PATH}/jobs/ft-6`, [
      { status: 429, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      {
        status: 200,
        body: { name: 'ft-6', properties: { jobType: 'Pipeline', status: 'Queued', tags: {} } },
      },
    ]);

    expect(await gateway.getJob('ft-6')).toMatchObject({ status: 'Queued' });
    expect(server.recorded('GET')).toHaveLength(2);
  });

  it('a Retry-After longer than the cap fails now as a retryable THROTTLED error', async () => {
    server.on('GET', `${WS_PATH}/jobs/ft-7`, {
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { error: { code: 'TooManyRequests', message: 'come back in an hour' } },
    });

    const started = Date.now();
    const error = await gateway.getJob('ft-7').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'AZUREML.THROTTLED', retryable: true });
    expect(server.recorded('GET')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('retries a 500, and a connection reset, then succeeds', async () => {
    server.sequence('GET', `${WS_PATH}/jobs/ft-2`, [
      { status: 500, body: { error: { code: 'InternalError', message: 'boom' } } },
      { status: 0, reset: true },
      {
        status: 200,
        body: { name: 'ft-2', properties: { jobType: 'Pipeline', status: 'Completed', tags: {} } },
      },
    ]);

    expect(await gateway.getJob('ft-2')).toMatchObject({ status: 'Completed' });
    expect(server.recorded('GET')).toHaveLength(3);
  });

  it('a 5xx that outlives the retries is a retryable ServiceUnavailableError', async () => {
    server.on('GET', `${WS_PATH}/jobs/ft-3`, {
      status: 503,
      body: { error: { code: 'ServiceUnavailable', message: 'down' } },
    });

    const error = await gateway.getJob('ft-3').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'AZUREML.UNAVAILABLE', retryable: true });
    expect(server.recorded('GET')).toHaveLength(1 + FAST_RETRY.maxRetries);
  });

  it('creates an endpoint and polls the operation to completion', async () => {
    const name = 'ft-0123456789ab-cdef';
    let polls = 0;
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${name}`, (req) => ({
      status: 201,
      headers: { 'azure-asyncoperation': `${server.baseUrl}/operations/create-ep` },
      body: { ...endpointBody(name, { provisioningState: 'Creating' }), ...JSON.parse(req.body) },
    }));
    server.on('GET', '/operations/create-ep', () => ({
      status: 200,
      body: { status: ++polls < 2 ? 'InProgress' : 'Succeeded' },
    }));
    server.on('GET', `${WS_PATH}/onlineEndpoints/${name}`, { status: 200, body: endpointBody(name) });

    const endpoint = await gateway.createEndpoint({
      name,
      location: 'eastus',
      tags: { 'autopilot-owner': 'finetune-autopilot', 'autopilot-run-id': 'ft-1' },
      properties: { authMode: 'Key', description: 'fine-tuned Phi-3' },
      identity: { type: 'SystemAssigned' },
    });

    // The SDK serializer reorders keys but must keep every one the domain set.
    expect(JSON.parse(server.recorded('PUT')[0]?.body ?? '')).toEqual({
      tags: { 'autopilot-owner': 'finetune-autopilot', 'autopilot-run-id': 'ft-1' },
      location: 'eastus',
      identity: { type: 'SystemAssigned' },
      properties: { authMode: 'Key', description: 'fine-tuned Phi-3' },
    });
    expect(polls).toBe(2);
    expect(endpoint).toEqual({
      name,
      id: `${WS_PATH}/onlineEndpoints/${name}`,
      provisioningState: 'Succeeded',
      scoringUri: `${server.baseUrl}/score/${name}`,
      tags: { 'autopilot-owner': 'finetune-autopilot' },
      traffic: {},
      createdAt: '2026-11-25T10:00:00.000Z',
    });
  });

  it('beginCreateEndpoint sends one PUT, returns the accepted state and never polls the operation', async () => {
    const name = 'ft-0123456789ab-b001';
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${name}`, (req) => ({
      status: 201,
      headers: { 'azure-asyncoperation': `${server.baseUrl}/operations/begin-ep` },
      body: { ...endpointBody(name, { provisioningState: 'Creating' }), tags: JSON.parse(req.body).tags },
    }));
    server.on('GET', '/operations/begin-ep', { status: 200, body: { status: 'InProgress' } });
    const spec = {
      name,
      location: 'eastus',
      tags: { 'autopilot-owner': 'finetune-autopilot', 'autopilot-run-id': 'ft-1' },
      properties: { authMode: 'Key', description: 'fine-tuned Phi-3' },
    };

    const endpoint = await gateway.beginCreateEndpoint(spec);
    // the gateway polls every 5 ms here: a background poller would show up within this pause
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT ${WS_PATH}/onlineEndpoints/${name}`,
    ]);
    const [put] = server.recorded('PUT');
    expect(put?.query.get('api-version')).toBe(ARM_API_VERSION);
    expect(put?.headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
    expect(put?.body).toBe(
      JSON.stringify({ location: 'eastus', tags: spec.tags, properties: spec.properties }),
    );
    expect(endpoint).toMatchObject({ name, provisioningState: 'Creating', tags: spec.tags });
  });

  it('beginCreateDeployment sends one PUT with the sku and ISO-8601 durations, and never polls', async () => {
    const ep = 'ft-0123456789ab-b002';
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`, (req) => ({
      status: 201,
      headers: { 'azure-asyncoperation': `${server.baseUrl}/operations/begin-dep` },
      body: { name: 'demo', ...JSON.parse(req.body), properties: { provisioningState: 'Creating' } },
    }));
    server.on('GET', '/operations/begin-dep', { status: 200, body: { status: 'InProgress' } });
    const spec = {
      endpointName: ep,
      name: 'demo',
      location: 'eastus',
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        model: `${WS_PATH}/models/phi-ft/versions/1`,
        instanceType: 'Standard_NC6s_v3',
        livenessProbe: { initialDelay: 'PT10M' },
        requestSettings: { requestTimeout: 'PT1M30S' },
      },
    };

    const deployment = await gateway.beginCreateDeployment(spec);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT ${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`,
    ]);
    expect(server.recorded('PUT')[0]?.body).toBe(
      JSON.stringify({ location: 'eastus', sku: spec.sku, properties: spec.properties }),
    );
    expect(deployment).toEqual({ name: 'demo', provisioningState: 'Creating', instanceCount: 1 });
  });

  it('beginCreateDeployment turns a 400 into a DomainError with the service message', async () => {
    const ep = 'ft-0123456789ab-b003';
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`, {
      status: 400,
      body: { error: { code: 'BadArgument', message: 'Instance type Standard_X is not supported' } },
    });

    const error = await gateway
      .beginCreateDeployment({
        endpointName: ep,
        name: 'demo',
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: { endpointComputeType: 'Managed', model: 'm', instanceType: 'Standard_X' },
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'AZUREML.BAD_REQUEST',
      message: `PUT deployment ${ep}/demo: BadArgument: Instance type Standard_X is not supported`,
    });
  });

  it('beginCreateEndpoint retries a 503 like every other call, then returns', async () => {
    const name = 'ft-0123456789ab-b004';
    let puts = 0;
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${name}`, () =>
      ++puts < 2
        ? { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'busy' } } }
        : { status: 200, body: endpointBody(name, { provisioningState: 'Updating' }) },
    );

    const endpoint = await gateway.beginCreateEndpoint({
      name,
      location: 'eastus',
      tags: {},
      properties: { authMode: 'Key' },
    });

    expect(puts).toBe(2);
    expect(endpoint.provisioningState).toBe('Updating');
  });

  it('creates a deployment with ISO-8601 durations and the sku on the wire', async () => {
    const ep = 'ft-0123456789ab-cdef';
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`, {
      status: 201,
      headers: { 'azure-asyncoperation': `${server.baseUrl}/operations/create-dep` },
      body: { name: 'demo', properties: { endpointComputeType: 'Managed', provisioningState: 'Creating' } },
    });
    server.on('GET', '/operations/create-dep', { status: 200, body: { status: 'Succeeded' } });
    server.on('GET', `${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`, {
      status: 200,
      body: {
        name: 'demo',
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          provisioningState: 'Succeeded',
          instanceType: 'Standard_NC6s_v3',
        },
      },
    });
    const modelId = `${WS_PATH}/models/phi-ft/versions/1`;

    const deployment = await gateway.createDeployment({
      endpointName: ep,
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

    expect(JSON.parse(server.recorded('PUT')[0]?.body ?? '')).toEqual({
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
    expect(deployment).toEqual({
      name: 'demo',
      provisioningState: 'Succeeded',
      instanceType: 'Standard_NC6s_v3',
      instanceCount: 1,
    });
  });

  it('a deployment whose operation ends Failed is a DomainError with the operation error', async () => {
    const ep = 'ft-0123456789ab-cdef';
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${ep}/deployments/demo`, {
      status: 201,
      headers: { 'azure-asyncoperation': `${server.baseUrl}/operations/failed-dep` },
      body: { name: 'demo', properties: { endpointComputeType: 'Managed', provisioningState: 'Creating' } },
    });
    server.on('GET', '/operations/failed-dep', {
      status: 200,
      body: {
        status: 'Failed',
        error: { code: 'ResourceNotReady', message: 'User container has crashed or terminated' },
      },
    });

    const error = await gateway
      .createDeployment({
        endpointName: ep,
        name: 'demo',
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: { endpointComputeType: 'Managed', model: 'm', instanceType: 'Standard_NC6s_v3' },
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'AZUREML.OPERATION_FAILED',
      message: `PUT deployment ${ep}/demo: ResourceNotReady: User container has crashed or terminated`,
    });
  });

  it('setTraffic GETs the endpoint then PUTs it back with the traffic', async () => {
    const name = 'ft-traffic-0001';
    server.on('GET', `${WS_PATH}/onlineEndpoints/${name}`, { status: 200, body: endpointBody(name) });
    server.on('PUT', `${WS_PATH}/onlineEndpoints/${name}`, (req) => ({
      status: 200,
      body: {
        ...endpointBody(name),
        properties: { ...(endpointBody(name).properties as object), ...JSON.parse(req.body).properties },
      },
    }));

    const endpoint = await gateway.setTraffic(name, { demo: 100 });

    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
    const put = JSON.parse(server.recorded('PUT')[0]?.body ?? '');
    expect(put.properties).toEqual({ authMode: 'Key', traffic: { demo: 100 } });
    expect(put.tags).toEqual({ 'autopilot-owner': 'finetune-autopilot' });
    expect(put.location).toBe('eastus');
    expect(endpoint.traffic).toEqual({ demo: 100 });
  });

  it('deletes an endpoint and polls the operation; an absent one is a no-op', async () => {
    let polls = 0;
    server.on('DELETE', `${WS_PATH}/onlineEndpoints/ft-gone-0001`, {
      status: 202,
      headers: {
        'azure-asyncoperation': `${server.baseUrl}/operations/del-ep`,
        location: `${server.baseUrl}/operations/del-ep-result`,
      },
    });
    server.on('GET', '/operations/del-ep', () => ({
      status: 200,
      body: { status: ++polls < 3 ? 'InProgress' : 'Succeeded' },
    }));
    server.on('GET', '/operations/del-ep-result', { status: 200 });
    server.on('DELETE', `${WS_PATH}/onlineEndpoints/ft-never-0001`, {
      status: 404,
      body: { error: { code: 'ResourceNotFound', message: 'no such endpoint' } },
    });

    await gateway.deleteEndpoint('ft-gone-0001');
    await gateway.deleteEndpoint('ft-never-0001');

    expect(polls).toBe(3);
    expect(server.recorded('DELETE').map((r) => r.path)).toEqual([
      `${WS_PATH}/onlineEndpoints/ft-gone-0001`,
      `${WS_PATH}/onlineEndpoints/ft-never-0001`,
    ]);
  });

  it('cancels a job and waits for the operation', async () => {
    let polls = 0;
    server.on('POST', `${WS_PATH}/jobs/ft-4/cancel`, {
      status: 202,
      headers: { location: `${server.baseUrl}/operations/cancel-job` },
    });
    server.on('GET', '/operations/cancel-job', () => (++polls < 2 ? { status: 202 } : { status: 200 }));

    await gateway.cancelJob('ft-4');

    expect(polls).toBe(2);
    expect(server.recorded('POST')[0]?.query.get('api-version')).toBe(ARM_API_VERSION);
  });

  it('lists owned endpoints with the tags filter', async () => {
    server.on('GET', `${WS_PATH}/onlineEndpoints`, {
      status: 200,
      body: { value: [endpointBody('ft-a-0001'), { ...endpointBody('other-0001'), tags: {} }] },
    });

    const endpoints = await gateway.listEndpoints({ 'autopilot-owner': 'finetune-autopilot' });

    expect(server.recorded('GET')[0]?.query.get('tags')).toBe('autopilot-owner=finetune-autopilot');
    expect(endpoints.map((e) => e.name)).toEqual(['ft-a-0001']);
  });

  it('registers a model version with the spec body and reads keys and logs', async () => {
    const modelPath = `${WS_PATH}/models/phi-ft/versions/3`;
    server.on('PUT', modelPath, (req) => ({
      status: 201,
      body: { id: modelPath, name: '3', properties: JSON.parse(req.body).properties },
    }));
    server.on('POST', `${WS_PATH}/onlineEndpoints/ep-1/listKeys`, {
      status: 200,
      body: { primaryKey: 'k1', secondaryKey: 'k2' },
    });
    server.on('POST', `${WS_PATH}/onlineEndpoints/ep-1/deployments/demo/getLogs`, {
      status: 200,
      body: { content: 'line 1\nline 2' },
    });
    const properties = {
      modelType: 'mlflow_model',
      modelUri: 'azureml://jobs/ft-1/outputs/trained_model',
      description: 'fine-tuned',
      tags: { 'autopilot-run-id': 'ft-1' },
    };

    const model = await gateway.createModelVersion({ name: 'phi-ft', version: '3', properties });

    expect(JSON.parse(server.recorded('PUT')[0]?.body ?? '')).toEqual({ properties });
    expect(model).toEqual({ name: 'phi-ft', version: '3', id: modelPath });
    expect(await gateway.getEndpointKey('ep-1')).toBe('k1');
    expect(await gateway.getDeploymentLogs('ep-1', 'demo', 50)).toBe('line 1\nline 2');
    expect(JSON.parse(server.recorded('POST', /getLogs$/)[0]?.body ?? '')).toEqual({
      containerType: 'InferenceServer',
      tail: 50,
    });
  });

  it('trusts the CA from config; without it the TLS handshake is refused, not retried', async () => {
    server.on('GET', `${WS_PATH}/jobs/ft-5`, {
      status: 200,
      body: { name: 'ft-5', properties: { jobType: 'Pipeline', status: 'Running' } },
    });
    const untrusting = makeGateway(undefined);

    const error = await untrusting.getJob('ft-5').catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'DomainError', code: 'AZUREML.TLS_UNTRUSTED' });
    expect(server.recorded('GET')).toHaveLength(0);
    expect(await gateway.getJob('ft-5')).toMatchObject({ status: 'Running' });
  });
});
