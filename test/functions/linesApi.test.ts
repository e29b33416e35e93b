// functions/linesApi.ts: one key-auth HTTP function whose handler reaches src/ through the REAL
// durable client (pointed at a local server playing the durable API, which knows no instance).
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
  registered = await captureRegistrations(() => import('../../functions/linesApi.js'));
  durable = await startDurableApi();
  stubAppSettings();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await durable?.close();
});

async function send(method: string, path: string): Promise<azf.HttpResponseInit> {
  const request = new azf.HttpRequest({
    method,
    url: `http://127.0.0.1/api/lines/${path}`,
    params: { path },
  });
  return (await registered
    .get(FunctionName.linesApi)
    ?.options.handler(
      request,
      contextWithClient(FunctionName.linesApi, durable.baseUrl),
    )) as azf.HttpResponseInit;
}

describe('linesApi', () => {
  it('registers one key-auth HTTP function on lines/{*path} for every method, with a durable client', () => {
    expect([...registered.keys()]).toEqual([FunctionName.linesApi]);
    const linesApi = registered.get(FunctionName.linesApi);
    expect(linesApi?.kind).toBe('http');
    // every method and sub-path reaches the handler, which answers 405/404 with the JSON error
    expect(linesApi?.options).toMatchObject({
      route: 'lines/{*path}',
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      authLevel: 'function',
    });
    expect(hasDurableClient(linesApi)).toBe(true);
  });

  it("answers 404 LINE.NOT_FOUND after asking the durable API for the line's instance", async () => {
    const before = durable.requests.length;
    const response = await send('GET', 'chat');
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: {
        code: 'LINE.NOT_FOUND',
        message:
          "no line 'chat': no model was deployed for it yet, or it was deleted (GET /api/lines lists the lines)",
      },
    });
    expect(durable.requests.slice(before)).toEqual(['GET /runtime/webhooks/durabletask/instances/line-chat']);
  });

  it('answers 404 for a malformed line id without asking the durable API', async () => {
    const before = durable.requests.length;
    const response = await send('POST', 'UPPER/wake');
    expect(response.status).toBe(404);
    expect(durable.requests.slice(before)).toEqual([]);
  });
});
