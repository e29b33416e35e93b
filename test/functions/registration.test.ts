// functions/*.ts register what docs/architecture.md ("The flow") names, with the triggers the host
// needs (registration calls are no-ops in @azure/functions test mode, so they are captured), and
// the registered handlers reach src/ through the REAL durable client (pointed at a local server
// playing the durable API).
import * as azf from '@azure/functions';
import * as df from 'durable-functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FunctionName } from '../../src/names.js';

interface Registration {
  kind: string;
  options: Record<string, unknown> & {
    handler: (...args: unknown[]) => unknown;
    extraInputs?: { type: string }[];
  };
}

const registered = new Map<string, Registration>();
let server: Server;
let baseUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  for (const kind of ['http', 'eventGrid', 'timer', 'generic'] as const) {
    vi.spyOn(azf.app, kind).mockImplementation((name: string, options: unknown) => {
      registered.set(name, { kind, options: options as Registration['options'] });
    });
  }
  await import('../../functions/datasetUploaded.js');
  await import('../../functions/runsApi.js');
  await import('../../functions/jobEvents.js');
  await import('../../functions/idleEndpointTeardown.js');
  await import('../../functions/fineTuneOrchestrator.js');
  vi.restoreAllMocks();

  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/durabletask/`;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
});

const hasDurableClient = (r: Registration | undefined) =>
  r?.options.extraInputs?.some((input) => input.type === 'durableClient') === true;

describe('function registrations', () => {
  it('registers each entry point under its documented name', () => {
    expect([...registered.keys()].filter((n) => !n.startsWith('fineTune')).sort()).toEqual(
      [
        FunctionName.datasetUploaded,
        FunctionName.idleEndpointTeardown,
        FunctionName.jobEvents,
        FunctionName.runsApi,
      ].sort(),
    );
    expect(registered.has(FunctionName.fineTuneOrchestrator)).toBe(true);
  });

  it('runsApi: one key-auth HTTP function on runs/{id?}/{action?} with a durable client', () => {
    const runsApi = registered.get(FunctionName.runsApi);
    expect(runsApi?.kind).toBe('http');
    expect(runsApi?.options).toMatchObject({
      route: 'runs/{id?}/{action?}',
      methods: ['GET', 'POST'],
      authLevel: 'function',
    });
    expect(hasDurableClient(runsApi)).toBe(true);
  });

  it('datasetUploaded and jobEvents: Event Grid triggers (not the blob trigger) with a durable client', () => {
    for (const name of [FunctionName.datasetUploaded, FunctionName.jobEvents]) {
      expect(registered.get(name)?.kind).toBe('eventGrid');
      expect(hasDurableClient(registered.get(name))).toBe(true);
    }
  });

  it('idleEndpointTeardown: a timer on the %TEARDOWN_SCHEDULE% app setting, with a durable client (runs in progress)', () => {
    const timer = registered.get(FunctionName.idleEndpointTeardown);
    expect(timer?.kind).toBe('timer');
    expect(timer?.options.schedule).toBe('%TEARDOWN_SCHEDULE%');
    expect(hasDurableClient(timer)).toBe(true);
  });
});

describe('registered handlers over the real durable client', () => {
  function contextWithClient(name: string): azf.InvocationContext {
    const clientInput = df.input.durableClient();
    const context = new azf.InvocationContext({
      functionName: name,
      options: { extraInputs: [clientInput] },
      logHandler: () => undefined,
    });
    const unused = `${baseUrl}unused`;
    context.extraInputs.set(clientInput, {
      taskHubName: 'autopilotlocal',
      creationUrls: { createNewInstancePostUri: unused },
      managementUrls: { id: 'INSTANCEID', statusQueryGetUri: unused },
      baseUrl,
      requiredQueryStringParameters: '',
      rpcBaseUrl: baseUrl,
    });
    return context;
  }

  beforeAll(() => {
    for (const [key, value] of Object.entries({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
      AZUREML_RESOURCE_GROUP: 'rg-autopilot-local',
      AZUREML_WORKSPACE: 'mlw-autopilot-local',
      AZUREML_LOCATION: 'eastus',
      AZUREML_REGISTRY_DISCOVERY_URL: 'https://127.0.0.1:1',
      AZUREML_CREDENTIAL: 'static',
    })) {
      vi.stubEnv(key, value);
    }
  });

  it('runsApi answers 404 RUN.NOT_FOUND after asking the durable API for the instance', async () => {
    const request = new azf.HttpRequest({
      method: 'GET',
      url: 'http://127.0.0.1/api/runs/ft-unknown',
      params: { id: 'ft-unknown' },
    });
    const response = (await registered
      .get(FunctionName.runsApi)
      ?.options.handler(request, contextWithClient(FunctionName.runsApi))) as azf.HttpResponseInit;
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: { code: 'RUN.NOT_FOUND', message: "no run with id 'ft-unknown'" },
    });
    expect(requests).toContain('GET /runtime/webhooks/durabletask/instances/ft-unknown?showInput=true');
  });

  it('jobEvents looks the run up and raises nothing for an unknown run', async () => {
    requests.length = 0;
    await registered.get(FunctionName.jobEvents)?.options.handler(
      {
        topic:
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-autopilot-local/providers/Microsoft.MachineLearningServices/workspaces/mlw-autopilot-local',
        subject: 'experiments/e/runs/ft-unknown',
        eventType: 'Microsoft.MachineLearningServices.RunCompleted',
        data: {
          runId: 'ft-unknown',
          runType: 'azureml.PipelineRun',
          runTags: { 'autopilot-run-id': 'ft-unknown' },
        },
      },
      contextWithClient(FunctionName.jobEvents),
    );
    expect(requests).toEqual(['GET /runtime/webhooks/durabletask/instances/ft-unknown?showInput=true']);
  });
});
