// The LifecycleEvents adapter over @azure/eventgrid's real publisher client, against the Azure ML
// emulator's CloudEvents topic over HTTPS (dev/emulator/topics.ts), the token from the app's
// static credential.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../dev/emulator/index.js';
import { httpsRequest } from '../../dev/httpsClient.js';
import { StaticTokenCredential } from '../../src/adapters/credential.js';
import { ServiceUnavailableError } from '../../src/adapters/errors.js';
import { transportOptions } from '../../src/adapters/http.js';
import { createPorts } from '../../src/adapters/index.js';
import { EventGridLifecycleEvents, NoLifecycleEvents } from '../../src/adapters/lifecycleEvents.js';
import { loadConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/errors.js';
import type { LifecycleEvent } from '../../src/domain/lifecycleEvents.js';

const SOURCE =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/func-autopilot';

let emulator: RunningEmulator;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'events-adapter-'));
  emulator = await startEmulator({ port: 0, stateDir: dir });
});
afterAll(async () => {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function topic(name: string): Promise<string> {
  const reply = await httpsRequest(`${emulator.adminUrl}topics/${name}`, {
    ca: emulator.caCert,
    method: 'PUT',
  });
  expect(reply.status).toBe(201);
  return (JSON.parse(reply.text) as { endpoint: string }).endpoint;
}

async function received(name: string): Promise<unknown[]> {
  const reply = await httpsRequest(`${emulator.adminUrl}topics/${name}/events`, { ca: emulator.caCert });
  return (JSON.parse(reply.text) as { value: unknown[] }).value;
}

async function injectFault(status: number, count: number): Promise<void> {
  await httpsRequest(`${emulator.adminUrl}faults`, {
    ca: emulator.caCert,
    method: 'POST',
    body: { operation: 'PublishCloudEventEvents', status, count },
  });
}

function publisher(topicEndpoint: string, maxRetries = 0): EventGridLifecycleEvents {
  return new EventGridLifecycleEvents({
    topicEndpoint,
    source: SOURCE,
    credential: new StaticTokenCredential(),
    transport: transportOptions(emulator.caCertPath, { maxRetries, retryDelayInMs: 5, maxRetryDelayInMs: 5 }),
  });
}

const succeeded: LifecycleEvent = {
  id: '3f0c1a52-9d7e-4b8a-a1c2-0d9e8f7a6b5c',
  type: 'finetune-autopilot.run.succeeded',
  subject: 'runs/ft-0123456789abcdef0123',
  time: '2026-12-01T10:09:00.000Z',
  data: { runId: 'ft-0123456789abcdef0123', status: 'Succeeded', reason: 'deployed and smoke tested' },
};

describe('EventGridLifecycleEvents', () => {
  it('publishes CloudEvents 1.0 with the configured source, the event time and JSON data', async () => {
    const endpoint = await topic('publish-topic');
    await publisher(endpoint).publish([succeeded]);
    expect(await received('publish-topic')).toEqual([
      {
        specversion: '1.0',
        id: '3f0c1a52-9d7e-4b8a-a1c2-0d9e8f7a6b5c',
        type: 'finetune-autopilot.run.succeeded',
        source: SOURCE,
        subject: 'runs/ft-0123456789abcdef0123',
        time: '2026-12-01T10:09:00.000Z',
        datacontenttype: 'application/json',
        data: { runId: 'ft-0123456789abcdef0123', status: 'Succeeded', reason: 'deployed and smoke tested' },
      },
    ]);
  });

  it('sends a batch in one request, in order', async () => {
    const endpoint = await topic('batch-topic');
    const second = { ...succeeded, id: 'b2', subject: 'runs/ft-2' };
    await publisher(endpoint).publish([succeeded, second]);
    expect((await received('batch-topic')).map((e) => (e as { id: string }).id)).toEqual([
      succeeded.id,
      'b2',
    ]);
  });

  it('sends nothing for no events', async () => {
    // no topic behind this endpoint: a request would fail with 404
    await expect(
      publisher(`${emulator.baseUrl}/_topics/never-created/api/events`).publish([]),
    ).resolves.toBeUndefined();
  });

  it('a fault that outlives the retries is a ServiceUnavailableError EVENTS.UNAVAILABLE (the activity throws, durable retries)', async () => {
    const endpoint = await topic('fault-topic');
    await injectFault(503, 2);
    const error: unknown = await publisher(endpoint, 1)
      .publish([succeeded])
      .catch((e: unknown) => e);
    expect([error instanceof ServiceUnavailableError, (error as ServiceUnavailableError).code]).toEqual([
      true,
      'EVENTS.UNAVAILABLE',
    ]);
  });

  it("a fault the pipeline's retry cures delivers the event once", async () => {
    const endpoint = await topic('retry-topic');
    await injectFault(503, 1);
    await publisher(endpoint, 2).publish([succeeded]);
    expect((await received('retry-topic')).length).toBe(1);
  });

  it('a topic that does not exist is a DomainError EVENTS.NOT_FOUND (not retried)', async () => {
    const error: unknown = await publisher(`${emulator.baseUrl}/_topics/missing-topic/api/events`)
      .publish([succeeded])
      .catch((e: unknown) => e);
    expect([error instanceof DomainError, (error as DomainError).code]).toEqual([true, 'EVENTS.NOT_FOUND']);
  });
});

describe('createPorts', () => {
  const env = {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    AZUREML_RESOURCE_GROUP: 'rg',
    AZUREML_WORKSPACE: 'ws',
    AZUREML_LOCATION: 'eastus',
    AZUREML_REGISTRY_DISCOVERY_URL: 'https://127.0.0.1:1',
    AZUREML_CREDENTIAL: 'static',
  };

  it('publishes nothing when EVENTS_TOPIC_ENDPOINT is unset', () => {
    expect(createPorts(loadConfig(env)).events).toBeInstanceOf(NoLifecycleEvents);
  });

  it('publishes to the topic when EVENTS_TOPIC_ENDPOINT is set', () => {
    const config = loadConfig({
      ...env,
      EVENTS_TOPIC_ENDPOINT: 'https://t.eastus-1.eventgrid.azure.net/api/events',
    });
    expect(createPorts(config).events).toBeInstanceOf(EventGridLifecycleEvents);
  });
});
