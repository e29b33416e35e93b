// The page's API client over real HTTP (Node's fetch against a local server standing in for the
// app's API, whose own answers are tested in test/http/): where the key goes, what it asks for.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Api, ApiError } from '../../src/dashboard/api.js';

const KEY = 'the-function-key';

interface Seen {
  url: string;
  key: string | undefined;
}
let seen: Seen[];
let answer: (url: URL) => { status: number; body: unknown };
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ url: req.url ?? '', key: req.headers['x-functions-key'] as string | undefined });
    const { status, body } = answer(url);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answer = () => ({ status: 200, body: { runs: [] } });
});

const api = () => new Api(base, KEY, (url, init) => fetch(url, init));

describe('the dashboard API client', () => {
  it('sends the key in x-functions-key and never in the URL', async () => {
    await api().listRuns({});
    expect(seen).toEqual([{ url: '/api/runs?top=50', key: KEY }]);
  });

  it('asks the API to filter by status and line', async () => {
    await api().listRuns({ status: 'Failed', line: 'chat' });
    expect(seen.map((s) => s.url)).toEqual(['/api/runs?top=50&status=Failed&line=chat']);
  });

  it("reads one page of run summaries, then each listed run's view (the table needs its steps)", async () => {
    answer = (url) =>
      url.pathname === '/api/runs'
        ? { status: 200, body: { runs: [{ runId: 'ft-a' }, { runId: 'ft-b' }], continuationToken: 'more' } }
        : {
            status: 200,
            body: { runId: url.pathname.split('/').at(-1), steps: [{ id: 'validate', status: 'succeeded' }] },
          };
    const runs = await api().listRuns({});
    expect(runs.map((r) => [r.runId, r.steps.length])).toEqual([
      ['ft-a', 1],
      ['ft-b', 1],
    ]);
    expect(seen.map((s) => s.url).sort()).toEqual(['/api/runs/ft-a', '/api/runs/ft-b', '/api/runs?top=50']);
  });

  it('keeps the summary of a run whose view cannot be read', async () => {
    answer = (url) =>
      url.pathname === '/api/runs'
        ? { status: 200, body: { runs: [{ runId: 'ft-gone', status: 'Succeeded' }] } }
        : { status: 404, body: { error: { code: 'RUN.NOT_FOUND', message: 'no run' } } };
    const runs = await api().listRuns({});
    expect(runs).toEqual([{ runId: 'ft-gone', status: 'Succeeded', steps: [] }]);
  });

  it('reads a run and its metric history by id', async () => {
    answer = () => ({ status: 200, body: { runId: 'ft-0123456789abcdef0123', series: {} } });
    await api().run('ft-0123456789abcdef0123');
    await api().history('ft-0123456789abcdef0123');
    expect(seen.map((s) => s.url)).toEqual([
      '/api/runs/ft-0123456789abcdef0123',
      '/api/runs/ft-0123456789abcdef0123/metrics/history',
    ]);
  });

  it('no lines API (404) is no lines, not an error', async () => {
    answer = () => ({ status: 404, body: {} });
    expect(await api().lines()).toBeUndefined();
  });

  it("an error answer becomes an ApiError with the API's code and message", async () => {
    answer = () => ({
      status: 401,
      body: { error: { code: 'REQUEST.UNAUTHORIZED', message: 'needs a key' } },
    });
    const error = await api()
      .run('ft-0123456789abcdef0123')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'REQUEST.UNAUTHORIZED', message: 'needs a key' });
  });
});
