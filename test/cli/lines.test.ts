import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LineView } from '../../src/domain/line.js';
import { main } from '../../src/cli/main.js';
import { startApiServer, type ApiServer, type Routes } from './apiServer.js';
import { captureIo } from './io.js';

const KEY = 'test-function-key-456';

function lineView(overrides: Partial<LineView> = {}): LineView {
  return {
    line: 'chat',
    endpoint: {
      name: 'chat-1a2b3c4d',
      scoringUri: 'https://chat-1a2b3c4d.eastus.inference.ml.azure.com/score',
    },
    state: 'serving',
    champion: {
      model: 'azureml://models/ft-chat/versions/3',
      label: 'ft-chat:3',
      deployment: 'v3',
      runId: 'ft-0123456789abcdef0123',
    },
    traffic: { v3: 100 },
    lastRequestAt: '2026-12-02T01:30:00.000Z',
    history: [
      {
        at: '2026-12-02T01:10:00.000Z',
        action: 'created',
        runId: 'ft-0123456789abcdef0123',
        reason: 'first model of the line',
      },
    ],
    ...overrides,
  };
}

const PARKED = lineView({
  state: 'parked',
  traffic: {},
  parkedSince: '2026-12-02T03:30:00.000Z',
  estimatedSavedUsd: 7.35,
});

let server: ApiServer | undefined;
let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'cli-lines-'));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(stateDir, { recursive: true, force: true });
});

async function serve(routes: Routes): Promise<ApiServer> {
  server = await startApiServer(routes);
  return server;
}

async function lines(api: ApiServer | undefined, ...args: string[]) {
  const { io, out } = captureIo();
  const connection = api === undefined ? [] : ['--url', api.url, '--key', KEY];
  const code = await main(['lines', ...args, ...connection, '--state-dir', stateDir], io);
  return { code, ...out };
}

describe('autopilot lines list', () => {
  it('prints the lines as a table', async () => {
    const api = await serve({
      'GET /api/lines': {
        status: 200,
        body: { lines: [lineView(), { ...PARKED, line: 'faq', endpoint: { name: 'faq-99887766' } }] },
      },
    });
    const result = await lines(api, 'list');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'LINE  STATE    ENDPOINT       CHAMPION        TRAFFIC  LAST REQUEST          PARKED SINCE          SAVED',
        'chat  serving  chat-1a2b3c4d  ft-chat:3 (v3)  v3=100%  2026-12-02 01:30:00Z  -                     -',
        'faq   parked   faq-99887766   ft-chat:3 (v3)  -        2026-12-02 01:30:00Z  2026-12-02 03:30:00Z  $7.35',
        '',
      ].join('\n'),
    );
  });

  it('prints one JSON object with --json', async () => {
    const api = await serve({ 'GET /api/lines': { status: 200, body: { lines: [lineView()] } } });
    const result = await lines(api, 'list', '--json');
    expect(JSON.parse(result.stdout)).toEqual({ lines: [lineView()] });
  });
});

describe('autopilot lines show', () => {
  it('prints the line and its history', async () => {
    const api = await serve({ 'GET /api/lines/chat': { status: 200, body: lineView() } });
    const result = await lines(api, 'show', 'chat');
    expect(result.stdout).toBe(
      [
        'line          chat',
        'state         serving',
        'endpoint      chat-1a2b3c4d  https://chat-1a2b3c4d.eastus.inference.ml.azure.com/score',
        'champion      ft-chat:3 (v3)',
        'traffic       v3=100%',
        'last request  2026-12-02 01:30:00Z',
        '',
        'AT                    ACTION   RUN                      REASON',
        '2026-12-02 01:10:00Z  created  ft-0123456789abcdef0123  first model of the line',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 for an unknown line', async () => {
    const api = await serve({
      'GET /api/lines/nope': {
        status: 404,
        body: { error: { code: 'LINE.NOT_FOUND', message: "no line 'nope'" } },
      },
    });
    const result = await lines(api, 'show', 'nope');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("autopilot lines: LINE.NOT_FOUND: no line 'nope'\n");
  });
});

describe('autopilot lines wake and park', () => {
  it('wake: posts the wake and says when the line should serve again (Retry-After)', async () => {
    const api = await serve({
      'POST /api/lines/chat/wake': {
        status: 202,
        body: { ...PARKED, state: 'waking' },
        headers: { Location: '/api/lines/chat', 'Retry-After': '420' },
      },
    });
    const result = await lines(api, 'wake', 'chat');
    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/lines/chat/wake']);
    expect(result.stdout).toBe(
      'wake requested for line chat (now waking); serving again in about 420 s\nfollow it: autopilot lines show chat\n',
    );
  });

  it("park: a no-op (200) prints the API's note", async () => {
    const api = await serve({
      'POST /api/lines/chat/park': { status: 200, body: { ...PARKED, note: 'the line is already parked' } },
    });
    const result = await lines(api, 'park', 'chat');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('line chat is parked: the line is already parked\n');
  });

  it('park: a conflict exits 1', async () => {
    const api = await serve({
      'POST /api/lines/chat/park': {
        status: 409,
        body: {
          error: { code: 'LINE.CONFLICT', message: 'line chat is rolling out; park it after the rollout' },
        },
      },
    });
    const result = await lines(api, 'park', 'chat');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'autopilot lines: LINE.CONFLICT: line chat is rolling out; park it after the rollout\n',
    );
  });
});

describe('autopilot lines delete', () => {
  it('refuses without --yes (exit 2) and sends nothing', async () => {
    const api = await serve({});
    const result = await lines(api, 'delete', 'chat');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "autopilot lines: deleting line 'chat' deletes its endpoint (its scoring URI and keys stop working): pass --yes to do it\n",
    );
    expect(api.requests).toEqual([]);
  });

  it('sends DELETE with --yes', async () => {
    const api = await serve({ 'DELETE /api/lines/chat': { status: 202, body: lineView() } });
    const result = await lines(api, 'delete', 'chat', '--yes');
    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /api/lines/chat']);
    expect(result.stdout).toBe('delete requested for line chat: its deployments and endpoint are deleted\n');
  });
});
