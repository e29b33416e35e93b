// Capturing what functions/*.ts register: registration calls are no-ops in @azure/functions test
// mode, so they are spied on while the module is imported, and the registered handlers are then
// called with real InvocationContext objects whose durable client points at a local server
// playing the durable API.
import * as azf from '@azure/functions';
import * as df from 'durable-functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';

export interface Registration {
  readonly kind: string;
  readonly options: Record<string, unknown> & {
    handler: (...args: unknown[]) => unknown;
    extraInputs?: { type: string }[];
    trigger?: { type: string };
  };
}

/** Imports the given functions/ modules and returns what they registered, by function name. */
export async function captureRegistrations(load: () => Promise<unknown>): Promise<Map<string, Registration>> {
  const registered = new Map<string, Registration>();
  for (const kind of ['http', 'eventGrid', 'timer', 'generic'] as const) {
    vi.spyOn(azf.app, kind).mockImplementation((name: string, options: unknown) => {
      registered.set(name, { kind, options: options as Registration['options'] });
    });
  }
  try {
    await load();
  } finally {
    vi.restoreAllMocks();
  }
  return registered;
}

export const hasDurableClient = (r: Registration | undefined): boolean =>
  r?.options.extraInputs?.some((input) => input.type === 'durableClient') === true;

/** A local server answering every durable API request with 404, recording what was asked. */
export interface DurableApi {
  readonly baseUrl: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startDurableApi(): Promise<DurableApi> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/durabletask/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An InvocationContext carrying a durable client bound to `baseUrl`. */
export function contextWithClient(name: string, baseUrl: string): azf.InvocationContext {
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

/** The settings the handlers' services need, as app settings (undone by vi.unstubAllEnvs). */
export function stubAppSettings(): void {
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
}
