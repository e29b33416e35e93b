// The Azure ML REST examples for the operations we call (recorded under
// test/fixtures/azure/machinelearningservices/), served as recorded by a local HTTPS server to
// our gateway over the real SDK client: what the gateway reads from the documented responses,
// and whether the request bodies we send fit the request schemas (the SDK's model mappers).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureMlArmGateway } from '../../src/adapters/azureMlGateway.js';
import { StaticTokenCredential } from '../../src/adapters/credential.js';
import { MonitorEndpointMetrics } from '../../src/adapters/endpointMetrics.js';
import { transportOptions } from '../../src/adapters/http.js';
import { checkCompute } from '../../src/domain/compute.js';
import { deploymentSpec, endpointSpec, modelVersionSpec } from '../../src/domain/deployment.js';
import { armExample, responseBody, type RecordedExample } from '../support/azureFixtures.js';
import { checkAgainst, mapperFor } from '../support/armSchema.js';
import { RecordingServer } from '../support/recordingServer.js';

const ML = 'machinelearningservices';

let server: RecordingServer;

beforeAll(async () => {
  server = await RecordingServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/** A gateway for the workspace an example's parameters name. */
function gatewayFor(example: RecordedExample, overrides: { workspace?: string } = {}): AzureMlArmGateway {
  const p = example.example.parameters as Record<string, string>;
  return new AzureMlArmGateway({
    settings: {
      subscriptionId: p.subscriptionId ?? '',
      resourceGroup: p.resourceGroupName ?? 'rg',
      workspace: overrides.workspace ?? p.workspaceName ?? 'ws',
      location: p.location ?? 'eastus',
      armEndpoint: server.baseUrl,
    },
    credential: new StaticTokenCredential(),
    transport: transportOptions(server.caPath, { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 }),
    lroPollIntervalInMs: 5,
  });
}

function workspacePath(example: RecordedExample): string {
  const p = example.example.parameters as Record<string, string>;
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${p.workspaceName}`;
}

describe('Compute_Get (Compute/get/AmlCompute.json)', () => {
  it('reads state, type, VM size, priority and node limit of an AmlCompute cluster', async () => {
    const example = armExample(`${ML}/compute.get.amlCompute.json`);
    server.on('GET', `${workspacePath(example)}/computes/compute123`, {
      status: 200,
      body: responseBody(example),
    });

    expect(await gatewayFor(example).getCompute('compute123')).toEqual({
      name: 'compute123',
      provisioningState: 'Succeeded',
      computeType: 'AmlCompute',
      vmSize: 'STANDARD_NC6',
      vmPriority: 'Dedicated',
      maxNodes: 1,
    });
  });
});

describe('VirtualMachineSizes_List (VirtualMachineSize/list.json)', () => {
  it('reads name, GPUs, vCPUs and quota family of each size', async () => {
    const example = armExample(`${ML}/virtualMachineSizes.list.json`);
    const sub = (example.example.parameters as Record<string, string>).subscriptionId;
    server.on(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.MachineLearningServices/locations/eastus/vmSizes`,
      {
        status: 200,
        body: responseBody(example),
      },
    );

    const family = 'standardDSv2Family';
    expect(await gatewayFor(example).listVmSizes()).toEqual([
      { name: 'Standard_DS1_v2', gpus: 0, vCPUs: 1, family },
      { name: 'Standard_DS2_v2', gpus: 0, vCPUs: 2, family },
      { name: 'Standard_DS3_v2', gpus: 0, vCPUs: 4, family },
      { name: 'Standard_DS4_v2', gpus: 0, vCPUs: 8, family },
      { name: 'Standard_DS5_v2', gpus: 0, vCPUs: 16, family },
      { name: 'Standard_DS11_v2', gpus: 0, vCPUs: 2, family },
      { name: 'Standard_DS12_v2', gpus: 0, vCPUs: 4, family },
      { name: 'Standard_DS13_v2', gpus: 0, vCPUs: 8, family },
      { name: 'Standard_DS14_v2', gpus: 0, vCPUs: 16, family },
    ]);
  });
});

describe('Usages_List (Usage/list.json)', () => {
  const example = armExample(`${ML}/usages.list.json`);
  const usagesPath =
    '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.MachineLearningServices/locations/eastus/usages';

  it("reads each row's scope from its id and drops another workspace's rows", async () => {
    server.on('GET', usagesPath, { status: 200, body: responseBody(example) });
    const usages = await gatewayFor(example, { workspace: 'demo_workspace1' }).listUsages();

    expect(usages).toHaveLength(30);
    expect(usages.filter((u) => u.name === 'Standard NC Family Cluster Dedicated vCPUs')).toEqual([
      {
        name: 'Standard NC Family Cluster Dedicated vCPUs',
        scope: 'subscription',
        currentValue: 12,
        limit: 24,
      },
      { name: 'Standard NC Family Cluster Dedicated vCPUs', scope: 'workspace', currentValue: 6, limit: 24 },
      {
        name: 'Standard NC Family Cluster Dedicated vCPUs',
        scope: 'compute',
        compute: 'demo_cluster1_nc',
        currentValue: 6,
        limit: 24,
      },
    ]);
    expect(usages.find((u) => u.compute === 'demo_cluser1_nc')).toBeUndefined(); // demo_workspace2's
    expect(usages[0]).toEqual({ name: 'Clusters', scope: 'subscription', currentValue: 7, limit: 100 });
  });

  it('feeds the quota pre-flight: our low-priority cluster has no limit on its own row', async () => {
    server.on('GET', usagesPath, { status: 200, body: responseBody(example) });
    const usages = await gatewayFor(example, { workspace: 'demo_workspace1' }).listUsages();

    const result = checkCompute({
      compute: {
        name: 'demo_cluster1_lowPriority_nc',
        provisioningState: 'Succeeded',
        computeType: 'AmlCompute',
        vmSize: 'Standard_NC6',
        vmPriority: 'LowPriority',
        maxNodes: 4,
      },
      computeName: 'demo_cluster1_lowPriority_nc',
      vmSizes: [{ name: 'Standard_NC6', gpus: 1, vCPUs: 6, family: 'standardNCFamily' }],
      usages,
      finetuneAllowList: ['Standard_NC6'],
      nodes: 4,
    });
    expect(result.ok && result.value.quota).toEqual({
      checked: true,
      usage: 'Standard NC Family Cluster LowPriority vCPUs',
      scope: 'compute',
      limit: -1,
      currentValue: 6,
      coresLeft: null,
    });
  });
});

describe('Jobs_Get and Jobs_CreateOrUpdate (Job/PipelineJob/*.json)', () => {
  it('reads name, status, display name and tags of a pipeline job', async () => {
    const example = armExample(`${ML}/pipelineJob.get.json`);
    server.on('GET', `${workspacePath(example)}/jobs/string`, { status: 200, body: responseBody(example) });

    expect(await gatewayFor(example).getJob('string')).toEqual({
      name: 'string',
      status: 'NotStarted',
      displayName: 'string',
      tags: { string: 'string' },
    });
  });

  it('reads the 201 answer of a job PUT', async () => {
    const example = armExample(`${ML}/pipelineJob.createOrUpdate.json`);
    server.on('PUT', `${workspacePath(example)}/jobs/string`, {
      status: 201,
      body: responseBody(example, '201'),
    });

    expect(await gatewayFor(example).createJob('string', { properties: { jobType: 'Pipeline' } })).toEqual({
      name: 'string',
      status: 'NotStarted',
      displayName: 'string',
      tags: { string: 'string' },
    });
  });
});

describe('ModelVersions_CreateOrUpdate (ModelVersion/createOrUpdate.json)', () => {
  const example = armExample(`${ML}/modelVersion.createOrUpdate.json`);
  const spec = modelVersionSpec({
    runId: 'ft-0123456789abcdef0123',
    modelName: 'Phi-3-mini-4k-instruct',
    jobName: 'ft-0123456789abcdef0123',
  });
  const path = () => `${workspacePath(example)}/models/${spec.name}/versions/${spec.version}`;

  it("reads the version's ARM id from the answer", async () => {
    server.on('PUT', path(), { status: 200, body: responseBody(example, '200') });

    expect(await gatewayFor(example).createModelVersion(spec)).toEqual({
      name: spec.name,
      version: 'string',
      id: 'string',
    });
  });

  it('sends a body the ModelVersion request schema accepts', async () => {
    server.on('PUT', path(), { status: 200, body: responseBody(example, '200') });
    await gatewayFor(example).createModelVersion(spec);

    const [sent] = server.recorded('PUT', path());
    expect(checkAgainst(JSON.parse(sent?.body ?? 'null'), mapperFor('ModelVersion'))).toEqual([]);
  });

  it("the checker accepts the example's own request body", () => {
    const body = (example.example.parameters as { body: unknown }).body;
    expect(checkAgainst(body, mapperFor('ModelVersion'))).toEqual([]);
  });
});

describe('OnlineEndpoints_Get / _List (OnlineEndpoint/get.json, list.json)', () => {
  const expected = {
    name: 'string',
    id: 'string',
    provisioningState: 'Creating',
    scoringUri: 'https://www.contoso.com/example',
    tags: {},
    traffic: { string: 1 },
    createdAt: '2020-01-01T12:34:56.999Z',
  };

  it('reads state, scoring URI, traffic, tags and creation time', async () => {
    const example = armExample(`${ML}/onlineEndpoint.get.json`);
    server.on('GET', `${workspacePath(example)}/onlineEndpoints/testEndpointName`, {
      status: 200,
      body: responseBody(example),
    });

    expect(await gatewayFor(example).getEndpoint('testEndpointName')).toEqual(expected);
  });

  it('reads the listed endpoints the same way', async () => {
    const example = armExample(`${ML}/onlineEndpoint.list.json`);
    // The example's nextLink is the placeholder "string", not a URL: served without it.
    const { nextLink: _placeholder, ...page } = responseBody(example) as { nextLink?: string };
    server.on('GET', `${workspacePath(example)}/onlineEndpoints`, { status: 200, body: page });

    expect(await gatewayFor(example).listEndpoints()).toEqual([expected]);
  });

  it('sends an endpoint body the OnlineEndpoint request schema accepts', async () => {
    const example = armExample(`${ML}/onlineEndpoint.get.json`);
    const spec = endpointSpec({
      name: 'ft-0123456789ab-0001',
      location: 'eastus',
      runId: 'ft-0123456789abcdef0123',
    });
    const path = `${workspacePath(example)}/onlineEndpoints/${spec.name}`;
    server.on('PUT', path, { status: 201, body: responseBody(example) });

    await gatewayFor(example).beginCreateEndpoint(spec);

    const [sent] = server.recorded('PUT', path);
    expect(checkAgainst(JSON.parse(sent?.body ?? 'null'), mapperFor('OnlineEndpoint'))).toEqual([]);
  });
});

describe('OnlineDeployments_CreateOrUpdate / _Get (OnlineDeployment/ManagedOnlineDeployment/*.json)', () => {
  it('reads state, instance type and count', async () => {
    const example = armExample(`${ML}/onlineDeployment.get.json`);
    server.on(
      'GET',
      `${workspacePath(example)}/onlineEndpoints/testEndpointName/deployments/testDeploymentName`,
      {
        status: 200,
        body: responseBody(example),
      },
    );

    expect(await gatewayFor(example).getDeployment('testEndpointName', 'testDeploymentName')).toEqual({
      name: 'string',
      provisioningState: 'Creating',
      instanceType: 'string',
      instanceCount: 1,
      model: 'string',
    });
  });

  it('sends a deployment body the OnlineDeployment request schema accepts', async () => {
    const example = armExample(`${ML}/onlineDeployment.createOrUpdate.json`);
    const spec = deploymentSpec({
      endpointName: 'testEndpointName',
      modelId: `${workspacePath(example)}/models/Phi-3-mini-4k-instruct-ft/versions/1`,
      instanceType: 'Standard_NC24ads_A100_v4',
      instanceCount: 1,
      location: 'eastus',
    });
    const path = `${workspacePath(example)}/onlineEndpoints/testEndpointName/deployments/${spec.name}`;
    server.on('PUT', path, { status: 201, body: responseBody(example, '201') });

    const answer = await gatewayFor(example).beginCreateDeployment(spec);

    const [sent] = server.recorded('PUT', path);
    expect(checkAgainst(JSON.parse(sent?.body ?? 'null'), mapperFor('OnlineDeployment'))).toEqual([]);
    expect(answer).toEqual({
      name: 'string',
      provisioningState: 'Creating',
      instanceType: 'string',
      instanceCount: 1,
      model: 'string',
    });
  });

  it("the checker accepts the example's own request body and names what a bad one lacks", () => {
    const example = armExample(`${ML}/onlineDeployment.createOrUpdate.json`);
    const body = (example.example.parameters as { body: Record<string, unknown> }).body;
    expect(checkAgainst(body, mapperFor('OnlineDeployment'))).toEqual([]);
    const { location: _location, ...withoutLocation } = body;
    const bad = {
      ...withoutLocation,
      properties: { ...(body.properties as object), livenessProbe: { initialDelay: '600' } },
    };
    expect(checkAgainst(bad, mapperFor('OnlineDeployment'))).toEqual([
      '$.location is required',
      "$.properties.livenessProbe.initialDelay must be an ISO-8601 duration, is '600'",
    ]);
  });
});

describe('Metrics_List (monitor GetMetric.json)', () => {
  it('reads minutes with only a count as unknown and adds up the series of a known minute', async () => {
    const example = armExample('monitor/metrics.list.json');
    const resource = `/${(example.example.parameters as Record<string, string>).resourceUri}`;
    server.on('GET', `${resource}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: responseBody(example),
    });
    const metrics = new MonitorEndpointMetrics({
      armEndpoint: server.baseUrl,
      subscriptionId: 'b324c52b-4073-4807-93af-e07d289c093e',
      credential: new StaticTokenCredential(),
      transport: transportOptions(server.caPath, { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 }),
    });

    expect(
      await metrics.requestsPerMinute(
        resource,
        new Date('2017-04-14T02:20:00Z'),
        new Date('2017-04-14T04:20:00Z'),
      ),
    ).toEqual([
      { timeStamp: '2017-04-14T02:20:00.000Z', total: undefined },
      { timeStamp: '2017-04-14T02:21:00.000Z', total: undefined },
      { timeStamp: '2017-04-14T02:22:00.000Z', total: undefined },
      { timeStamp: '2017-04-14T02:23:00.000Z', total: 245 },
    ]);
  });
});
