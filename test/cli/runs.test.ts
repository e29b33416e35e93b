import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/domain/runView.js';
import { main } from '../../src/cli/main.js';
import { startApiServer, type ApiServer, type Routes } from './apiServer.js';
import { captureIo } from './io.js';

const KEY = 'test-function-key-123';
const RUN_ID = 'ft-0123456789abcdef0123';

const DATASET = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DCAFE' };

function runView(overrides: Partial<RunView> = {}): RunView {
  return {
    runId: RUN_ID,
    dataset: DATASET,
    line: 'chat',
    status: 'Succeeded',
    step: 'smokeTest',
    steps: [
      {
        id: 'validate',
        status: 'succeeded',
        startedAt: '2026-12-02T01:00:00.000Z',
        endedAt: '2026-12-02T01:00:02.000Z',
        detail: '240 conversations',
      },
      {
        id: 'train',
        status: 'succeeded',
        startedAt: '2026-12-02T01:00:02.000Z',
        endedAt: '2026-12-02T01:05:07.000Z',
      },
    ],
    model: { name: 'ft-chat', version: '3', id: 'azureml://models/ft-chat/versions/3' },
    endpoint: {
      name: 'chat-1a2b3c4d',
      scoringUri: 'https://chat-1a2b3c4d.eastus.inference.ml.azure.com/score',
    },
    ...overrides,
  };
}

let server: ApiServer | undefined;
let stateDir: string;

beforeEach(() => {
  // An empty state folder: no test may find a local stack a developer has running.
  stateDir = mkdtempSync(join(tmpdir(), 'cli-runs-'));
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

async function runs(...args: string[]) {
  const { io, out } = captureIo();
  const code = await main(['runs', ...args, '--state-dir', stateDir], io);
  return { code, ...out };
}

const connect = (api: ApiServer): string[] => ['--url', api.url, '--key', KEY];

describe('autopilot runs list', () => {
  it('prints the runs as a table, one row per run', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [runView()] } } });
    const result = await runs('list', ...connect(api));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'RUN                      STATUS     LINE  STEP  STARTED               DURATION  MODEL      DATASET',
        'ft-0123456789abcdef0123  Succeeded  chat  -     2026-12-02 01:00:00Z  5m07s     ft-chat:3  incoming/chat/train.jsonl',
        '',
      ].join('\n'),
    );
  });

  it('prints the run summaries GET /api/runs answers (the run index: start, end, model as text)', async () => {
    const summary = {
      runId: RUN_ID,
      line: 'chat',
      dataset: DATASET,
      status: 'RolledBack',
      step: 'deploy',
      startedAt: '2026-12-02T01:00:00.000Z',
      endedAt: '2026-12-02T01:12:30.000Z',
      model: 'ft-chat:4',
    };
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [summary] } } });
    const result = await runs('list', ...connect(api));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'RUN                      STATUS      LINE  STEP  STARTED               DURATION  MODEL      DATASET',
        'ft-0123456789abcdef0123  RolledBack  chat  -     2026-12-02 01:00:00Z  12m30s    ft-chat:4  incoming/chat/train.jsonl',
        '',
      ].join('\n'),
    );
  });

  it('passes --status, --line and --top to GET /api/runs', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [] } } });
    await runs('list', '--status', 'Failed', '--line', 'chat', '--top', '5', ...connect(api));
    expect(api.requests.map((r) => r.url)).toEqual(['/api/runs?top=5&status=Failed&line=chat']);
  });

  it('sends the key in the x-functions-key header and never in the URL', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [] } } });
    await runs('list', ...connect(api));
    expect(api.requests[0]?.headers['x-functions-key']).toBe(KEY);
    expect(api.requests[0]?.url).not.toContain(KEY);
  });

  it('leaves out runs the filter does not match, should the API not filter', async () => {
    const other = runView({ runId: 'ft-ffffffffffffffffffff', status: 'Failed', line: 'other' });
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [runView(), other] } } });
    const result = await runs('list', '--line', 'chat', '--json', ...connect(api));
    expect((JSON.parse(result.stdout) as { runs: RunView[] }).runs.map((r) => r.runId)).toEqual([RUN_ID]);
  });

  it('follows continuation tokens until --top runs are found', async () => {
    const second = runView({ runId: 'ft-ffffffffffffffffffff' });
    const api = await serve({
      'GET /api/runs': [
        { status: 200, body: { runs: [runView()], continuationToken: 'page2' } },
        { status: 200, body: { runs: [second] } },
      ],
    });
    const result = await runs('list', '--top', '2', '--json', ...connect(api));
    expect(api.requests.map((r) => r.url)).toEqual([
      '/api/runs?top=2',
      '/api/runs?top=1&continuationToken=page2',
    ]);
    expect(JSON.parse(result.stdout)).toEqual({ runs: [runView(), second] });
  });

  it('prints one JSON object with --json', async () => {
    const api = await serve({ 'GET /api/runs': { status: 200, body: { runs: [runView()] } } });
    const result = await runs('list', '--json', ...connect(api));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ runs: [runView()] });
  });

  it('exits 1 with the API error when the query is refused', async () => {
    const api = await serve({
      'GET /api/runs': {
        status: 400,
        body: {
          error: {
            code: 'REQUEST.INVALID_QUERY',
            message: "status: must be one of Running, Succeeded, got 'Bogus'",
          },
        },
      },
    });
    const result = await runs('list', '--status', 'Bogus', ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "autopilot runs: REQUEST.INVALID_QUERY: status: must be one of Running, Succeeded, got 'Bogus'\n",
    );
  });

  it('exits 2 and says how to pass a key when the API refuses it', async () => {
    const api = await serve({ 'GET /api/runs': { status: 401, text: 'Unauthorized' } });
    const result = await runs('list', ...connect(api));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'autopilot runs: CLI.UNEXPECTED_ANSWER: answered 401: Unauthorized (the function key was refused or missing: pass --key or set AUTOPILOT_KEY)\n',
    );
  });

  it('exits 2 when nothing answers at the URL', async () => {
    const api = await serve({});
    await api.close();
    server = undefined;
    const result = await runs('list', ...connect(api));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `autopilot runs: GET ${api.url}/api/runs?top=20: ECONNREFUSED (is the app running? a local stack is started with npm start)\n`,
    );
  });

  it('exits 2 naming the ways to find the API when there is none', async () => {
    const result = await runs('list');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "autopilot runs: no API to talk to: pass --url (or set AUTOPILOT_URL), or start the local stack with 'npm start'",
    );
  });
});

describe('autopilot runs show', () => {
  it('prints the run, then its steps as a timeline', async () => {
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: runView() } });
    const result = await runs('show', RUN_ID, ...connect(api));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'run       ft-0123456789abcdef0123',
        'status    Succeeded',
        'line      chat',
        'dataset   training-data/incoming/chat/train.jsonl (etag 0x8DCAFE)',
        'model     ft-chat:3  azureml://models/ft-chat/versions/3',
        'endpoint  chat-1a2b3c4d  https://chat-1a2b3c4d.eastus.inference.ml.azure.com/score',
        '',
        'STEP      STATUS     STARTED               TOOK   DETAIL',
        'validate  succeeded  2026-12-02 01:00:00Z  2s     240 conversations',
        'train     succeeded  2026-12-02 01:00:02Z  5m05s  -',
        '',
      ].join('\n'),
    );
  });

  it('shows the error and its first details of a failed run', async () => {
    const failed = runView({
      status: 'Failed',
      model: undefined,
      endpoint: undefined,
      steps: [
        {
          id: 'validate',
          status: 'failed',
          startedAt: '2026-12-02T01:00:00.000Z',
          endedAt: '2026-12-02T01:00:01.000Z',
        },
      ],
      error: {
        step: 'validate',
        code: 'DATASET.INVALID',
        message: 'the dataset has 1 error',
        details: [{ line: 3, code: 'DATASET.INVALID_ROLE', message: "message 2 has role 'bot'" }],
      },
    });
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: failed } });
    const result = await runs('show', RUN_ID, ...connect(api));
    expect(result.stdout).toContain(
      "error    validate: DATASET.INVALID: the dataset has 1 error\n         - line 3: DATASET.INVALID_ROLE: message 2 has role 'bot'\n",
    );
  });

  it('exits 1 for an unknown run', async () => {
    const api = await serve({});
    const result = await runs('show', RUN_ID, ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `autopilot runs: REQUEST.NOT_FOUND: no canned answer for GET /api/runs/${RUN_ID}\n`,
    );
  });

  it('exits 2 without a run id', async () => {
    const result = await runs('show');
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('autopilot runs: expected a run id');
  });
});

describe('autopilot runs show, metrics', () => {
  it('shows the losses and counts the other metrics', async () => {
    const metrics = { 'ft/train_loss': 1.08321, 'ft/eval_loss': 0.81, 'ft/epoch': 2, 'ft/learning_rate': 0 };
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: runView({ metrics }) } });
    const result = await runs('show', RUN_ID, ...connect(api));
    expect(result.stdout).toContain(
      '\nmetrics   ft/train_loss=1.08321, ft/eval_loss=0.81, (+2 more with --json)\n',
    );
  });
});

describe('autopilot runs watch', () => {
  const running = (step: 'validate' | 'train'): RunView =>
    runView({
      status: 'Running',
      step,
      model: undefined,
      endpoint: undefined,
      steps:
        step === 'validate'
          ? [
              { id: 'validate', status: 'running', startedAt: '2026-12-02T01:00:00.000Z' },
              { id: 'train', status: 'pending' },
            ]
          : [
              {
                id: 'validate',
                status: 'succeeded',
                startedAt: '2026-12-02T01:00:00.000Z',
                endedAt: '2026-12-02T01:00:02.000Z',
                detail: '240 conversations',
              },
              { id: 'train', status: 'running', startedAt: '2026-12-02T01:00:02.000Z' },
            ],
      jobName: RUN_ID,
    });

  it('prints each step as it starts and ends, and exits 0 when the run Succeeded', async () => {
    const api = await serve({
      [`GET /api/runs/${RUN_ID}`]: [
        { status: 200, body: running('validate') },
        { status: 200, body: running('train') },
        { status: 200, body: runView() },
      ],
    });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', ...connect(api));
    expect(result.code).toBe(0);
    const timeline = result.stdout.split('\n').map((l) => l.replace(/^\[\s*[\d.]+s\] /, '[t] '));
    expect(timeline).toEqual([
      `run ${RUN_ID}  training-data/incoming/chat/train.jsonl`,
      '[t] validate      running   ',
      '[t] validate      succeeded 240 conversations',
      `[t] train         running   job ${RUN_ID} running on the cluster`,
      '[t] train         succeeded ',
      '',
      `run ${RUN_ID} Succeeded: ft-chat:3 serving on chat-1a2b3c4d`,
      '',
    ]);
  });

  it('exits 1 when the run ends otherwise, with its error', async () => {
    const failed = runView({
      status: 'Failed',
      error: { step: 'train', code: 'JOB.FAILED', message: 'the job failed' },
    });
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: failed } });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').at(-2)).toBe(`run ${RUN_ID} Failed: train: JOB.FAILED: the job failed`);
  });

  it('exits 1 for a run that was rolled back', async () => {
    const rolledBack = runView({
      status: 'RolledBack',
      rollout: { outcome: 'rolledBack', deployment: 'v3', reason: 'the smoke test failed; v2 kept serving' },
    });
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: rolledBack } });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', ...connect(api));
    expect(result.code).toBe(1);
  });

  it('waits for a run that does not exist yet', async () => {
    const api = await serve({
      [`GET /api/runs/${RUN_ID}`]: [
        { status: 404, body: { error: { code: 'RUN.NOT_FOUND', message: `no run with id '${RUN_ID}'` } } },
        { status: 200, body: runView() },
      ],
    });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', ...connect(api));
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(
      new RegExp(`^\\[\\s*[\\d.]+s\\] no run ${RUN_ID} yet: waiting for it to start…$`),
    );
  });

  it('exits 1 at once for what is not a run id, without calling the API', async () => {
    const api = await serve({});
    const result = await runs('watch', 'ft-nothex', ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "autopilot runs: RUN.NOT_FOUND: 'ft-nothex' is not a run id (ft- and 20 hex digits, maybe -r<n>: what upload and runs list print)\n",
    );
    expect(api.requests).toEqual([]);
  });

  it('prints only the final run view with --json', async () => {
    const api = await serve({
      [`GET /api/runs/${RUN_ID}`]: [
        { status: 200, body: running('train') },
        { status: 200, body: runView() },
      ],
    });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', '--json', ...connect(api));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(runView());
  });

  it('exits 2 when the run is still running at --timeout', async () => {
    const api = await serve({ [`GET /api/runs/${RUN_ID}`]: { status: 200, body: running('train') } });
    const result = await runs('watch', RUN_ID, '--interval', '0.05', '--timeout', '0.2', ...connect(api));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `autopilot runs: run ${RUN_ID} still Running (train) after 0.2 s; watch it again, or look at it with: autopilot runs show ${RUN_ID}\n`,
    );
  });
});

describe('autopilot runs start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-runs-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('posts the dataset, overrides and force, and prints the run id', async () => {
    const overrides = join(dir, 'finetune.json');
    writeFileSync(overrides, '{"num_train_epochs": 2}');
    const api = await serve({ 'POST /api/runs': { status: 202, body: runView({ status: 'Running' }) } });
    const result = await runs(
      'start',
      '--dataset',
      DATASET.path,
      '--overrides',
      overrides,
      '--force',
      ...connect(api),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({
      dataset: DATASET.path,
      overrides: { num_train_epochs: 2 },
      force: true,
    });
    expect(result.stdout).toBe(`run ${RUN_ID} started\nfollow it: autopilot runs watch ${RUN_ID}\n`);
  });

  it('says when the run already exists (200)', async () => {
    const api = await serve({ 'POST /api/runs': { status: 200, body: runView() } });
    const result = await runs('start', '--dataset', DATASET.path, ...connect(api));
    expect(result.stdout.split('\n')[0]).toBe(
      `run ${RUN_ID} already exists (Succeeded); --force starts another`,
    );
  });

  it('exits 1 on bad overrides without calling the API', async () => {
    const overrides = join(dir, 'finetune.json');
    writeFileSync(overrides, '{"num_train_epoch": 2}');
    const api = await serve({});
    const result = await runs('start', '--dataset', DATASET.path, '--overrides', overrides, ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `autopilot runs: FINETUNE.INVALID_OVERRIDES: ${overrides}: fine-tune overrides have 1 problem: num_train_epoch: not a fine-tune parameter; did you mean 'num_train_epochs'?\n`,
    );
    expect(api.requests).toEqual([]);
  });

  it('exits 1 with the API error when the dataset does not exist', async () => {
    const api = await serve({
      'POST /api/runs': {
        status: 404,
        body: {
          error: {
            code: 'DATASET.NOT_FOUND',
            message: "dataset 'incoming/x/train.jsonl' does not exist in container training-data",
          },
        },
      },
    });
    const result = await runs('start', '--dataset', 'incoming/x/train.jsonl', '--json', ...connect(api));
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'DATASET.NOT_FOUND',
        message: "dataset 'incoming/x/train.jsonl' does not exist in container training-data",
        status: 404,
      },
    });
  });
});

describe('autopilot runs cancel', () => {
  it('posts the cancel and says what happens next', async () => {
    const api = await serve({
      [`POST /api/runs/${RUN_ID}/cancel`]: { status: 202, body: runView({ status: 'Running' }) },
    });
    const result = await runs('cancel', RUN_ID, ...connect(api));
    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST /api/runs/${RUN_ID}/cancel`]);
    expect(result.stdout.split('\n')[0]).toBe(
      `cancel requested for run ${RUN_ID}: its job is cancelled and what it created deleted; it ends Canceled`,
    );
  });

  it('exits 1 when the run already ended', async () => {
    const api = await serve({
      [`POST /api/runs/${RUN_ID}/cancel`]: {
        status: 409,
        body: {
          error: {
            code: 'RUN.NOT_RUNNING',
            message: `run '${RUN_ID}' already ended (Succeeded); nothing to cancel`,
          },
        },
      },
    });
    const result = await runs('cancel', RUN_ID, ...connect(api));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `autopilot runs: RUN.NOT_RUNNING: run '${RUN_ID}' already ended (Succeeded); nothing to cancel\n`,
    );
  });
});

describe('autopilot runs (usage)', () => {
  it('exits 2 for an unknown subcommand', async () => {
    const result = await runs('frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("autopilot runs: unknown command 'frobnicate'");
  });
});
