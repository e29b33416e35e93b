// The lines API (src/http/linesApi.ts) with real HttpRequest / InvocationContext objects
// (@azure/functions test mode) and a recording in-memory LineInstances in place of the durable
// client (the app's own port; test/runs/support.ts explains why it is in memory).
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LineView } from '../../src/domain/line.js';
import { handleLinesRequest } from '../../src/http/linesApi.js';
import type { LinesDeps } from '../../src/runs/lines.js';
import { expectedLine, LoggingContext, RecordingRunInstances, testConfig } from '../runs/support.js';

const NOW = new Date('2026-01-01T10:30:00.000Z');
const CONNECTION =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1';

let lines: RecordingRunInstances;
let deps: LinesDeps;
/** How many times the handler looked a line instance up. */
let looks: number;

beforeEach(() => {
  lines = new RecordingRunInstances();
  looks = 0;
  const get = lines.get.bind(lines);
  lines.get = (instanceId) => {
    looks++;
    return get(instanceId);
  };
  deps = {
    lines: lines as unknown as LinesDeps['lines'],
    config: testConfig(CONNECTION),
    now: () => NOW,
  };
});

const view = (line: string, overrides: Partial<LineView> = {}): LineView => ({
  line,
  endpoint: { name: expectedLine(line).endpointName as string },
  state: 'serving',
  champion: {
    model: 'azureml://models/chat-ft/versions/20251231',
    label: 'chat-ft:20251231',
    deployment: 'v20251231',
    runId: 'ft-bbbbbbbbbbbbbbbbbbbb',
  },
  traffic: { v20251231: 100 },
  history: [{ at: '2025-12-31T00:00:00.000Z', action: 'created', reason: 'first model' }],
  ...overrides,
});

function addLine(v: LineView, status: { pending?: string[]; current?: string } = {}): void {
  lines.add({
    instanceId: `line-${v.line}`,
    runtimeStatus: 'Running',
    customStatus: { view: v, pending: status.pending ?? [], outcomes: {}, ...status },
  });
}

type ApiResponse = Omit<HttpResponseInit, 'jsonBody'> & {
  jsonBody: Record<string, unknown> & { error: { code: string; message: string } };
};

/** A request as the host passes it for the catch-all route lines/{*path}. */
async function call(
  method: string,
  path: string,
  context = new LoggingContext('linesApi'),
): Promise<ApiResponse> {
  const request = new HttpRequest({
    method,
    url: `http://127.0.0.1/api/lines${path === '' ? '' : `/${path}`}`,
    params: { path },
  });
  return (await handleLinesRequest(request, context, deps)) as ApiResponse;
}

describe('GET /api/lines', () => {
  it('answers 200 with the lines', async () => {
    addLine(view('beta'));
    addLine(view('alpha', { state: 'parked', traffic: {} }));
    expect(await call('GET', '')).toEqual({
      status: 200,
      jsonBody: { lines: [view('alpha', { state: 'parked', traffic: {} }), view('beta')] },
    });
  });

  it('answers 405 with Allow: GET for another method', async () => {
    expect(await call('POST', '')).toEqual({
      status: 405,
      headers: { Allow: 'GET' },
      jsonBody: {
        error: { code: 'REQUEST.METHOD_NOT_ALLOWED', message: 'POST is not allowed here; use GET' },
      },
    });
  });
});

describe('GET /api/lines/{line}', () => {
  it('answers 200 with the line', async () => {
    addLine(view('chat'));
    expect(await call('GET', 'chat')).toEqual({ status: 200, jsonBody: view('chat') });
  });

  it('answers 404 LINE.NOT_FOUND for an unknown line', async () => {
    expect(await call('GET', 'nope')).toEqual({
      status: 404,
      jsonBody: {
        error: {
          code: 'LINE.NOT_FOUND',
          message:
            "no line 'nope': no model was deployed for it yet, or it was deleted (GET /api/lines lists the lines)",
        },
      },
    });
  });

  it.each([['%2F'], ['UPPER'], ['a'.repeat(70)], ['-lead'], ['a%3Fb'], ['a b']])(
    'answers 404 LINE.NOT_FOUND for the malformed id %j without looking it up',
    async (id) => {
      addLine(view('chat'));
      const response = await call('GET', id);
      expect(response.status).toBe(404);
      expect(response.jsonBody.error).toEqual({
        code: 'LINE.NOT_FOUND',
        message: `no line '${id}': line ids are lower-case letters, digits and '-' (the dataset's name, slugged)`,
      });
      expect(looks).toBe(0);
    },
  );

  it('answers 404 REQUEST.NOT_FOUND for a decoded slash (/api/lines/a/b)', async () => {
    const response = await call('GET', 'a/b');
    expect(response.status).toBe(404);
    expect(response.jsonBody.error.code).toBe('REQUEST.NOT_FOUND');
    expect(looks).toBe(0);
  });

  it('answers 405 with Allow: GET, DELETE for another method', async () => {
    const response = await call('POST', 'chat');
    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'GET, DELETE' });
  });
});

describe('POST /api/lines/{line}/wake', () => {
  it('answers 202 with Location, Retry-After and the waking view', async () => {
    const parked = view('chat', { state: 'parked', traffic: {}, lastDeploySeconds: 420 });
    addLine(parked);
    expect(await call('POST', 'chat/wake')).toEqual({
      status: 202,
      headers: { Location: '/api/lines/chat', 'Retry-After': '420' },
      jsonBody: { ...parked, state: 'waking' },
    });
    expect(
      lines.raised.map((r) => [r.instanceId, r.eventName, (r.payload as { kind: string }).kind]),
    ).toEqual([['line-chat', 'LineRequest', 'wake']]);
  });

  it('logs the accepted request', async () => {
    addLine(view('chat', { state: 'parked', traffic: {} }));
    const context = new LoggingContext('linesApi');
    await call('POST', 'chat/wake', context);
    expect(context.lines).toEqual(['information: linesApi: wake requested for line chat']);
  });

  it('answers 200 with the view and a note for a serving line, sending nothing', async () => {
    addLine(view('chat'));
    expect(await call('POST', 'chat/wake')).toEqual({
      status: 200,
      jsonBody: { ...view('chat'), note: "line 'chat' is serving; nothing to wake" },
    });
    expect(lines.raised).toEqual([]);
  });

  it('answers 409 LINE.CONFLICT for a failed line', async () => {
    addLine(view('chat', { state: 'failed' }));
    expect(await call('POST', 'chat/wake')).toEqual({
      status: 409,
      jsonBody: {
        error: {
          code: 'LINE.CONFLICT',
          message: "line 'chat' is failed and has no parked model to wake; upload a dataset to deploy one",
        },
      },
    });
  });

  it('answers 404 LINE.NOT_FOUND for an unknown line', async () => {
    expect((await call('POST', 'nope/wake')).status).toBe(404);
  });

  it('answers 405 with Allow: POST for GET', async () => {
    const response = await call('GET', 'chat/wake');
    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'POST' });
  });
});

describe('POST /api/lines/{line}/park', () => {
  it('answers 202 with Location and no Retry-After', async () => {
    addLine(view('chat'));
    expect(await call('POST', 'chat/park')).toEqual({
      status: 202,
      headers: { Location: '/api/lines/chat' },
      jsonBody: view('chat'),
    });
    expect(lines.raised.map((r) => (r.payload as { kind: string }).kind)).toEqual(['park']);
  });

  it('answers 200 with a note for a parked line', async () => {
    addLine(view('chat', { state: 'parked', traffic: {} }));
    const response = await call('POST', 'chat/park');
    expect(response.status).toBe(200);
    expect(response.jsonBody.note).toBe("line 'chat' is already parked");
  });

  it('answers 409 LINE.CONFLICT for a line rolling out', async () => {
    addLine(view('chat', { state: 'rollingOut' }));
    expect(await call('POST', 'chat/park')).toEqual({
      status: 409,
      jsonBody: {
        error: { code: 'LINE.CONFLICT', message: "line 'chat' is rollingOut; park it once it is serving" },
      },
    });
  });

  it('answers 405 with Allow: POST for DELETE', async () => {
    const response = await call('DELETE', 'chat/park');
    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'POST' });
  });
});

describe('DELETE /api/lines/{line}', () => {
  it('answers 202 with Location and sends the delete', async () => {
    addLine(view('chat'));
    expect(await call('DELETE', 'chat')).toEqual({
      status: 202,
      headers: { Location: '/api/lines/chat' },
      jsonBody: view('chat'),
    });
    expect(lines.raised.map((r) => (r.payload as { kind: string }).kind)).toEqual(['delete']);
  });

  it('answers 200 with a note for a line already being deleted', async () => {
    addLine(view('chat'), { pending: ['delete:req-1'] });
    expect(await call('DELETE', 'chat')).toEqual({
      status: 200,
      jsonBody: { ...view('chat'), note: "line 'chat' is already being deleted" },
    });
  });

  it('answers 404 LINE.NOT_FOUND for an unknown line', async () => {
    expect((await call('DELETE', 'nope')).jsonBody.error.code).toBe('LINE.NOT_FOUND');
  });
});

describe('errors', () => {
  it.each([['chat/resume'], ['chat/wake/now'], ['chat/x/y']])(
    'answers 404 REQUEST.NOT_FOUND for /api/lines/%s',
    async (path) => {
      addLine(view('chat'));
      expect(await call('GET', path)).toEqual({
        status: 404,
        jsonBody: {
          error: {
            code: 'REQUEST.NOT_FOUND',
            message: `no such resource: /api/lines/${path}; the API serves /api/lines, /api/lines/{line}, /api/lines/{line}/wake and /api/lines/{line}/park`,
          },
        },
      });
      expect(lines.raised).toEqual([]);
    },
  );

  it('turns a failing port into a 500 INTERNAL without its message in the answer or the log', async () => {
    lines.get = () =>
      Promise.reject(new Error('GET https://host/runtime/webhooks/durabletask?code=SECRET failed'));
    const context = new LoggingContext('linesApi');
    expect(await call('GET', 'chat', context)).toEqual({
      status: 500,
      jsonBody: {
        error: { code: 'INTERNAL', message: 'the request could not be completed; try again later' },
      },
    });
    expect(context.lines).toEqual(['error: linesApi: GET chat failed: Error']);
  });

  it('turns a failing list into a 500 INTERNAL', async () => {
    lines.list = () => Promise.reject(new Error('socket hang up'));
    expect((await call('GET', '')).status).toBe(500);
  });
});
