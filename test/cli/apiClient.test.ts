import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiClient,
  ApiError,
  ApiUnreachable,
  exitCodeOf,
  reportApiFailure,
} from '../../src/cli/apiClient.js';
import { startApiServer, type ApiServer, type Routes } from './apiServer.js';
import { captureIo } from './io.js';

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(routes: Routes): Promise<ApiServer> {
  server = await startApiServer(routes);
  return server;
}

describe('ApiClient.call', () => {
  it('sends the key in x-functions-key, the body as JSON, and returns the parsed answer', async () => {
    const api = await serve({ 'POST /api/runs': { status: 202, body: { runId: 'ft-1' } } });
    const answer = await new ApiClient({ baseUrl: api.url, key: 'k1' }).call('POST', '/api/runs', {
      body: { dataset: 'incoming/a.jsonl' },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ runId: 'ft-1' });
    expect(api.requests[0]?.headers['x-functions-key']).toBe('k1');
    expect(api.requests[0]?.headers['content-type']).toBe('application/json');
    expect(api.requests[0]?.body).toBe('{"dataset":"incoming/a.jsonl"}');
  });

  it('sends no key header when it has no key', async () => {
    const api = await serve({ 'GET /api/lines': { status: 200, body: { lines: [] } } });
    await new ApiClient({ baseUrl: api.url }).call('GET', '/api/lines');
    expect(api.requests[0]?.headers['x-functions-key']).toBeUndefined();
  });

  it('leaves out query values that are not given', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [] } } });
    await new ApiClient({ baseUrl: api.url }).call('GET', '/api/runs', {
      query: { top: '5', line: undefined },
    });
    expect(api.requests[0]?.url).toBe('/api/runs?top=5');
  });

  it("throws the API's error as ApiError with its code, message and details", async () => {
    const details = [{ field: 'dataset', message: 'required' }];
    const api = await serve({
      'POST /api/runs': {
        status: 400,
        body: { error: { code: 'REQUEST.INVALID_BODY', message: 'invalid body', details } },
      },
    });
    const error = await new ApiClient({ baseUrl: api.url })
      .call('POST', '/api/runs', { body: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'REQUEST.INVALID_BODY',
      message: 'invalid body',
      details,
    });
  });

  it('throws an answer that is not JSON as ApiUnreachable', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, text: '<html>a login page</html>' } });
    const error = await new ApiClient({ baseUrl: api.url }).call('GET', '/api/runs').catch((e: unknown) => e);
    expect(error).toEqual(
      new ApiUnreachable(`GET ${api.url}/api/runs: the answer is not JSON (is this the autopilot API?)`),
    );
  });
});

describe('exitCodeOf', () => {
  it.each([
    [400, 1],
    [404, 1],
    [409, 1],
    [401, 2],
    [403, 2],
    [500, 2],
  ])('an answer %d is exit %d', (status, code) => {
    expect(exitCodeOf(new ApiError(status, 'X', 'x'))).toBe(code);
  });

  it('no answer is exit 2', () => {
    expect(exitCodeOf(new ApiUnreachable('down'))).toBe(2);
  });
});

describe('reportApiFailure', () => {
  it('lists the details under the message', () => {
    const { io, out } = captureIo();
    const error = new ApiError(400, 'REQUEST.INVALID_BODY', 'invalid body', [
      { field: 'dataset', message: 'required' },
      { field: 'force', message: 'must be true or false' },
    ]);
    expect(reportApiFailure(io, 'autopilot runs', false, error)).toBe(1);
    expect(out.stderr).toBe(
      'autopilot runs: REQUEST.INVALID_BODY: invalid body\n  - dataset: required\n  - force: must be true or false\n',
    );
  });

  it('prints one {error} object with --json', () => {
    const { io, out } = captureIo();
    reportApiFailure(io, 'autopilot runs', true, new ApiError(404, 'RUN.NOT_FOUND', "no run with id 'x'"));
    expect(JSON.parse(out.stdout)).toEqual({
      error: { code: 'RUN.NOT_FOUND', message: "no run with id 'x'", status: 404 },
    });
  });

  it('rethrows what is not an API failure', () => {
    const { io } = captureIo();
    expect(() => reportApiFailure(io, 'autopilot runs', false, new RangeError('bug'))).toThrow(
      new RangeError('bug'),
    );
  });
});

describe('ApiClient.call, answers that are not the API', () => {
  it('names the route of a bare 404: another app at that URL, or an older version', async () => {
    const api = await serve({ 'GET /api/lines': { status: 404, text: '' } });
    const error = await new ApiClient({ baseUrl: api.url })
      .call('GET', '/api/lines')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 404,
      code: 'CLI.UNEXPECTED_ANSWER',
      message: `answered 404 (no such route: GET ${api.url}/api/lines; is the URL this app's, and the app this version?)`,
    });
  });
});
