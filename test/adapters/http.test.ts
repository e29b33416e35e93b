import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCredential, STATIC_TOKEN, StaticTokenCredential } from '../../src/adapters/credential.js';
import { JsonHttpClient, transportOptions } from '../../src/adapters/http.js';
import { RecordingServer } from '../support/recordingServer.js';

let server: RecordingServer;

beforeAll(async () => {
  server = await RecordingServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('transport', () => {
  it('names ARM_CA_CERT_PATH when the CA file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-ca-'));
    rmSync(dir, { recursive: true });

    expect(() => transportOptions(join(dir, 'ca.pem'))).toThrow(
      `ARM_CA_CERT_PATH: cannot read '${join(dir, 'ca.pem')}'`,
    );
  });

  it('gives up on an answer that never comes, as a retryable TIMEOUT', async () => {
    server.on(
      'GET',
      '/slow',
      () => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: {} }), 2_000)),
    );
    const http = new JsonHttpClient(
      'MLFLOW',
      transportOptions(server.caPath, {
        maxRetries: 0,
        retryDelayInMs: 1,
        maxRetryDelayInMs: 1,
        requestTimeoutInMs: 200,
      }),
    );

    await expect(
      http.send({ method: 'GET', url: `${server.baseUrl}/slow`, operation: 'GET slow' }),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'MLFLOW.TIMEOUT',
      retryable: true,
    });
  });

  it('answers statuses the caller accepts as values', async () => {
    server.on('GET', '/gone', { status: 404, body: { error: { code: 'NotFound', message: 'gone' } } });
    const http = new JsonHttpClient('MLFLOW', transportOptions(server.caPath));

    expect(
      await http.send({ method: 'GET', url: `${server.baseUrl}/gone`, operation: 'GET gone' }, [404]),
    ).toEqual({
      status: 404,
      body: undefined,
    });
  });
});

describe('a throttle longer than the in-process retries', () => {
  const quick = { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 1, maxRetryAfterInMs: 30_000 };

  it('fails at once, with the Retry-After the service sent in the details', async () => {
    server.on('GET', '/busy', {
      status: 429,
      headers: { 'retry-after': '120' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    });
    const http = new JsonHttpClient('MLFLOW', transportOptions(server.caPath, quick));

    await expect(
      http.send({ method: 'GET', url: `${server.baseUrl}/busy`, operation: 'GET busy' }),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'MLFLOW.THROTTLED',
      details: { status: 429, serviceCode: 'TooManyRequests', operation: 'GET busy', retryAfterSeconds: 120 },
    });
    expect(server.recorded('GET', '/busy')).toHaveLength(1);
  });

  it('keeps the Retry-After of a 503 through the retries of a server fault', async () => {
    server.on('GET', '/down', { status: 503, headers: { 'retry-after': '90' }, body: {} });
    const http = new JsonHttpClient('MLFLOW', transportOptions(server.caPath, quick));

    await expect(
      http.send({ method: 'GET', url: `${server.baseUrl}/down`, operation: 'GET down' }),
    ).rejects.toMatchObject({
      code: 'MLFLOW.UNAVAILABLE',
      details: { status: 503, retryAfterSeconds: 90 },
    });
    expect(server.recorded('GET', '/down')).toHaveLength(3);
  });

  it('still sleeps a short Retry-After in-process and succeeds', async () => {
    server.sequence('GET', '/brief', [
      { status: 429, headers: { 'retry-after-ms': '20' }, body: {} },
      { status: 200, body: { fine: true } },
    ]);
    const http = new JsonHttpClient('MLFLOW', transportOptions(server.caPath, quick));

    expect(
      await http.send({ method: 'GET', url: `${server.baseUrl}/brief`, operation: 'GET brief' }),
    ).toEqual({
      status: 200,
      body: { fine: true },
    });
  });
});

describe('credential', () => {
  it('static mode hands out the fixed local token', async () => {
    const credential = createCredential({ credential: 'static' });

    expect(credential).toBeInstanceOf(StaticTokenCredential);
    expect((await credential.getToken('https://management.azure.com/.default'))?.token).toBe(STATIC_TOKEN);
  });

  it('default mode is DefaultAzureCredential', () => {
    expect(
      createCredential({ credential: 'default', clientId: '11111111-1111-1111-1111-111111111111' }),
    ).toBeInstanceOf(DefaultAzureCredential);
  });
});
