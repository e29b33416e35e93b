// functions/runsApi.ts: one key-auth HTTP function whose handler reaches src/ through the REAL
// durable client (pointed at a local server playing the durable API).
import * as azf from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FunctionName } from '../../src/names.js';
import {
  captureRegistrations,
  contextWithClient,
  hasDurableClient,
  startDurableApi,
  stubAppSettings,
  type DurableApi,
  type Registration,
} from './support.js';

let registered: Map<string, Registration>;
let durable: DurableApi;

beforeAll(async () => {
  registered = await captureRegistrations(() => import('../../functions/runsApi.js'));
  durable = await startDurableApi();
  stubAppSettings();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await durable?.close();
});

describe('runsApi', () => {
  it('registers one key-auth HTTP function on runs/{*path} for every method, with a durable client', () => {
    expect([...registered.keys()]).toEqual([FunctionName.runsApi]);
    const runsApi = registered.get(FunctionName.runsApi);
    expect(runsApi?.kind).toBe('http');
    // every method and sub-path reaches the handler, which answers 405/404 with the JSON error
    expect(runsApi?.options).toMatchObject({
      route: 'runs/{*path}',
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      authLevel: 'function',
    });
    expect(hasDurableClient(runsApi)).toBe(true);
  });

  it('answers 404 RUN.NOT_FOUND after asking the durable API for the instance', async () => {
    const request = new azf.HttpRequest({
      method: 'GET',
      url: 'http://127.0.0.1/api/runs/ft-00000000000000000000',
      params: { path: 'ft-00000000000000000000' },
    });
    const response = (await registered
      .get(FunctionName.runsApi)
      ?.options.handler(
        request,
        contextWithClient(FunctionName.runsApi, durable.baseUrl),
      )) as azf.HttpResponseInit;
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: { code: 'RUN.NOT_FOUND', message: "no run with id 'ft-00000000000000000000'" },
    });
    expect(durable.requests).toContain(
      'GET /runtime/webhooks/durabletask/instances/ft-00000000000000000000?showInput=true',
    );
  });

  it('answers 404 RUN.NOT_FOUND for an id with a query in it without asking the durable API', async () => {
    const id = 'ft-00000000000000000000?x=';
    const request = new azf.HttpRequest({
      method: 'GET',
      url: 'http://127.0.0.1/api/runs/ft-00000000000000000000%3Fx%3D',
      params: { path: id },
    });
    const before = durable.requests.length;
    const response = (await registered
      .get(FunctionName.runsApi)
      ?.options.handler(
        request,
        contextWithClient(FunctionName.runsApi, durable.baseUrl),
      )) as azf.HttpResponseInit;
    expect(response.jsonBody).toEqual({
      error: { code: 'RUN.NOT_FOUND', message: `no run with id '${id}'` },
    });
    expect(durable.requests.slice(before)).toEqual([]);
  });
});
