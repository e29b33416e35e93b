// The composition root: settings -> ports over the real SDKs -> activities, and each entry point's
// deps over the invocation's REAL durable client. ARM is a local HTTPS server that records what the
// SDK sends; the durable client talks to a local HTTP server playing the Durable extension's API.
// (functions/*.ts reaching these through their registrations: test/functions/registration.test.ts;
// the host refusing to start on bad settings: test/functions/appStart.test.ts.)
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STATIC_TOKEN } from '../src/adapters/credential.js';
import {
  createServices,
  jobEventDeps,
  startRunDeps,
  teardownDeps,
  type Services,
} from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { RecordingServer } from './support/recordingServer.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const WORKSPACE_ID = `/subscriptions/${SUB}/resourceGroups/rg-compose/providers/Microsoft.MachineLearningServices/workspaces/mlw-compose`;

let arm: RecordingServer;
let durable: Server;
let durableBaseUrl: string;
let durableRequests: string[] = [];
let settings: Record<string, string>;

beforeAll(async () => {
  arm = await RecordingServer.start();
  durable = createServer((req, res) => {
    durableRequests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/runtime/webhooks/durabletask/instances/') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify([
          {
            name: 'fineTuneOrchestrator',
            instanceId: 'ft-live',
            runtimeStatus: 'Running',
            createdTime: '2026-01-01T00:00:00Z',
          },
          {
            name: 'fineTuneOrchestrator',
            instanceId: 'ft-done',
            runtimeStatus: 'Completed',
            createdTime: '2026-01-01T00:00:00Z',
          },
        ]),
      );
      return;
    }
    const status = req.method === 'POST' ? 202 : 404;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => durable.listen(0, '127.0.0.1', resolve));
  durableBaseUrl = `http://127.0.0.1:${(durable.address() as AddressInfo).port}/runtime/webhooks/durabletask/`;
  settings = {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    TRAINING_CONTAINER: 'training-data',
    AZURE_SUBSCRIPTION_ID: SUB,
    AZUREML_RESOURCE_GROUP: 'rg-compose',
    AZUREML_WORKSPACE: 'mlw-compose',
    AZUREML_LOCATION: 'eastus',
    ARM_ENDPOINT: arm.baseUrl,
    AZUREML_CREDENTIAL: 'static',
    ARM_CA_CERT_PATH: arm.caPath,
    AZUREML_REGISTRY_DISCOVERY_URL: arm.baseUrl,
  };
});

afterAll(async () => {
  await Promise.all([arm.close(), new Promise<void>((resolve) => durable.close(() => resolve()))]);
});

beforeEach(() => {
  durableRequests = [];
  arm.reset();
});

/** The durable client the host hands a function, built by durable-functions from the extra input. */
function durableClient(): df.DurableClient {
  const clientInput = df.input.durableClient();
  const context = new InvocationContext({ options: { extraInputs: [clientInput] } });
  const unused = `${durableBaseUrl}unused`;
  context.extraInputs.set(clientInput, {
    taskHubName: 'autopilotlocal',
    creationUrls: { createNewInstancePostUri: unused, createAndWaitOnNewInstancePostUri: unused },
    managementUrls: { id: 'INSTANCEID', statusQueryGetUri: unused, sendEventPostUri: unused },
    baseUrl: durableBaseUrl,
    requiredQueryStringParameters: '',
    rpcBaseUrl: durableBaseUrl,
  });
  return df.getClient(context);
}

const services = (): Services =>
  createServices(loadConfig(settings), { retry: { maxRetries: 0, retryDelayInMs: 5, maxRetryDelayInMs: 5 } });

describe('createServices', () => {
  it("builds the activities over ports made from the settings: getJob asks the settings' workspace with the static token", async () => {
    arm.on('GET', `${WORKSPACE_ID}/jobs/ft-1`, {
      status: 200,
      body: { name: 'ft-1', properties: { jobType: 'Pipeline', status: 'Running', tags: {} } },
    });

    expect(await services().activities.getJob({ jobName: 'ft-1' })).toEqual({
      ok: true,
      value: { status: 'Running' },
    });
    expect(arm.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['GET', `${WORKSPACE_ID}/jobs/ft-1`, `Bearer ${STATIC_TOKEN}`],
    ]);
  });

  it('keeps the settings it was given', () => {
    const config = loadConfig(settings);
    expect(createServices(config).config).toBe(config);
  });
});

describe('getServices (the process-wide app over the process settings)', () => {
  // Each case imports a fresh composition root (and config) so that none sees another's settings.
  const freshRoot = async () => {
    vi.resetModules();
    return import('../src/composition.js');
  };
  const stubSettings = (values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) vi.stubEnv(key, value);
  };
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads the settings once: every call answers the same services', async () => {
    stubSettings(settings);
    const { getServices } = await freshRoot();
    const first = getServices();
    expect(first.config.azureMl.workspace).toBe('mlw-compose');
    expect(getServices()).toBe(first);
  });

  it('fails naming each bad key', async () => {
    stubSettings({ ...settings, AZUREML_WORKSPACE: '', JOB_POLL_INTERVAL_SECONDS: 'soon' });
    const { getServices } = await freshRoot();
    expect(() => getServices()).toThrow(
      "invalid settings: AZUREML_WORKSPACE is required but not set; JOB_POLL_INTERVAL_SECONDS must be a whole number from 1 to 86400, got 'soon'",
    );
  });

  it('is what the entry points get when no app is passed', async () => {
    stubSettings(settings);
    const root = await freshRoot();
    expect(root.startRunDeps(durableClient()).config).toBe(root.getServices().config);
  });
});

describe("each entry point's deps over the invocation's durable client", () => {
  it('startRunDeps: the runs over the durable client, the blob store, the run index and the settings of the app', async () => {
    const app = services();
    const deps = startRunDeps(durableClient(), app);

    expect(await deps.runs.get('ft-unknown')).toBeUndefined();
    expect(durableRequests).toEqual([
      'GET /runtime/webhooks/durabletask/instances/ft-unknown?showInput=true',
    ]);
    expect(deps.blobs).toBe(app.ports.blobs);
    expect(deps.config).toBe(app.config);
    expect(deps.runIndex).toBe(app.ports.runIndex);
  });

  it("jobEventDeps: the settings' workspace resource id, and events raised through the durable client", async () => {
    const deps = jobEventDeps(durableClient(), services());

    expect(deps.workspaceId).toBe(WORKSPACE_ID);
    await deps.runs.raise('ft-1', 'JobFinished', { status: 'Completed' });
    expect(durableRequests).toEqual([
      'POST /runtime/webhooks/durabletask/instances/ft-1/raiseEvent/JobFinished',
    ]);
  });

  it('teardownDeps: the gateway, metrics and teardown settings of the app, the given time, and the runs in progress', async () => {
    const app = services();
    const now = new Date('2026-12-01T00:00:00Z');
    const deps = teardownDeps(durableClient(), now, app);

    expect(deps.gateway).toBe(app.ports.gateway);
    expect(deps.endpointMetrics).toBe(app.ports.endpointMetrics);
    expect(deps.settings).toBe(app.config.teardown);
    expect(deps.now).toBe(now);
    expect(await deps.activeRunIds()).toEqual(new Set(['ft-live']));
    expect(durableRequests).toEqual(['GET /runtime/webhooks/durabletask/instances/']);
  });
});
