import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential, STATIC_TOKEN } from '../../src/adapters/credential.js';
import { JsonHttpClient, transportOptions } from '../../src/adapters/http.js';
import { REGISTRY_DATA_PLANE_API_VERSION, RegistryModelCatalog } from '../../src/adapters/modelCatalog.js';
import { DomainError } from '../../src/domain/errors.js';
import { RecordingServer } from '../support/recordingServer.js';

const MODEL = 'Phi-3-mini-4k-instruct';
const DISCOVERY = '/registrymanagement/v1.0/registries/azureml/discovery';
const VERSIONS = `/mferp/managementfrontend/subscriptions/reg-sub/resourceGroups/reg-rg/providers/Microsoft.MachineLearningServices/registries/azureml/models/${MODEL}/versions`;
const TAGS = {
  finetune_compute_allow_list: "['Standard_NC24rs_v3', 'Standard_NC24ads_A100_v4']",
  inference_compute_allow_list: "['Standard_NC6s_v3']",
  model_specific_defaults: "{'apply_deepspeed': 'true', 'apply_lora': 'true'}",
};
const FALLBACK = {
  id: `azureml://registries/azureml/models/${MODEL}/versions/5`,
  tags: { model_specific_defaults: "{'apply_lora': 'true'}" },
};

let server: RecordingServer;

function catalog(fallback?: typeof FALLBACK, timeoutInMs = 10_000): RegistryModelCatalog {
  const transport = transportOptions(server.caPath, {
    maxRetries: 2,
    retryDelayInMs: 5,
    maxRetryDelayInMs: 20,
  });
  return new RegistryModelCatalog({
    http: new JsonHttpClient('REGISTRY', transport, {
      credential: new StaticTokenCredential(),
      scope: 'https://x/.default',
    }),
    discoveryUrl: server.baseUrl,
    registry: 'azureml',
    timeoutInMs,
    ...(fallback !== undefined && { fallback }),
  });
}

function serveDiscovery(): void {
  server.on('GET', DISCOVERY, {
    status: 200,
    body: {
      registryName: 'azureml',
      primaryRegion: 'eastus',
      primaryRegionResourceProviderUri: `${server.baseUrl}/`,
      subscriptionId: 'reg-sub',
      resourceGroup: 'reg-rg',
    },
  });
}

beforeAll(async () => {
  server = await RecordingServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('RegistryModelCatalog', () => {
  it('discovers the registry, then reads the latest version and its raw tags', async () => {
    serveDiscovery();
    server.on('GET', VERSIONS, {
      status: 200,
      body: { value: [{ id: 'x', name: '7', properties: { tags: TAGS, properties: {} } }] },
    });

    const model = await catalog(FALLBACK).getLatest(MODEL);

    expect(model).toEqual({
      name: MODEL,
      version: '7',
      id: `azureml://registries/azureml/models/${MODEL}/versions/7`,
      tags: TAGS,
      properties: {},
      source: 'registry',
    });
    const lookup = server.recorded('GET', VERSIONS)[0];
    expect(lookup?.query.get('api-version')).toBe(REGISTRY_DATA_PLANE_API_VERSION);
    expect(lookup?.query.get('$orderBy')).toBe('createdtime desc');
    expect(lookup?.query.get('$top')).toBe('1');
    expect(lookup?.headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
  });

  it('falls back when the registry keeps failing with 5xx', async () => {
    server.on('GET', DISCOVERY, { status: 503, body: { error: { code: 'Unavailable', message: 'down' } } });

    expect(await catalog(FALLBACK).getLatest(MODEL)).toEqual({
      name: MODEL,
      version: '5',
      id: FALLBACK.id,
      tags: FALLBACK.tags,
      source: 'fallback',
    });
    expect(server.recorded('GET', DISCOVERY)).toHaveLength(3);
  });

  it('falls back when the lookup times out', async () => {
    serveDiscovery();
    server.on(
      'GET',
      VERSIONS,
      () => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: { value: [] } }), 1_000)),
    );

    expect(await catalog(FALLBACK, 300).getLatest(MODEL)).toMatchObject({ source: 'fallback', version: '5' });
  });

  it('falls back when nothing listens at the discovery URL', async () => {
    const closed = await RecordingServer.start();
    const discoveryUrl = closed.baseUrl;
    await closed.close();
    const offline = new RegistryModelCatalog({
      http: new JsonHttpClient(
        'REGISTRY',
        transportOptions(undefined, { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 5 }),
      ),
      discoveryUrl,
      registry: 'azureml',
      fallback: FALLBACK,
    });

    expect(await offline.getLatest(MODEL)).toMatchObject({ source: 'fallback' });
  });

  it('does not fall back on 404: the model does not exist', async () => {
    serveDiscovery();
    server.on('GET', VERSIONS, {
      status: 404,
      body: { error: { code: 'NotFound', message: `Model ${MODEL} not found` } },
    });

    const error = await catalog(FALLBACK)
      .getLatest(MODEL)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'REGISTRY.NOT_FOUND',
      message: expect.stringContaining(`Model ${MODEL} not found`),
    });
  });

  it('an empty version list is REGISTRY.MODEL_NOT_FOUND, not a fallback', async () => {
    serveDiscovery();
    server.on('GET', VERSIONS, { status: 200, body: { value: [] } });

    await expect(catalog(FALLBACK).getLatest(MODEL)).rejects.toMatchObject({
      code: 'REGISTRY.MODEL_NOT_FOUND',
      message: `model '${MODEL}' has no versions in registry 'azureml'`,
    });
  });

  it('without a fallback, an unreachable registry is a retryable error', async () => {
    server.on('GET', DISCOVERY, { status: 500, body: { error: { code: 'Internal', message: 'boom' } } });

    await expect(catalog().getLatest(MODEL)).rejects.toMatchObject({
      code: 'REGISTRY.UNAVAILABLE',
      retryable: true,
    });
  });
});
