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
  it('registers one key-auth HTTP function on runs/{id?}/{action?} with a durable client', () => {
    expect([...registered.keys()]).toEqual([FunctionName.runsApi]);
    const runsApi = registered.get(FunctionName.runsApi);
    expect(runsApi?.kind).toBe('http');
    expect(runsApi?.options).toMatchObject({
      route: 'runs/{id?}/{action?}',
      methods: ['GET', 'POST'],
      authLevel: 'function',
    });
    expect(hasDurableClient(runsApi)).toBe(true);
  });

  it('answers 404 RUN.NOT_FOUND after asking the durable API for the instance', async () => {
    const request = new azf.HttpRequest({
      method: 'GET',
      url: 'http://127.0.0.1/api/runs/ft-unknown',
      params: { id: 'ft-unknown' },
    });
    const response = (await registered
      .get(FunctionName.runsApi)
      ?.options.handler(
        request,
        contextWithClient(FunctionName.runsApi, durable.baseUrl),
      )) as azf.HttpResponseInit;
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: { code: 'RUN.NOT_FOUND', message: "no run with id 'ft-unknown'" },
    });
    expect(durable.requests).toContain(
      'GET /runtime/webhooks/durabletask/instances/ft-unknown?showInput=true',
    );
  });
});
