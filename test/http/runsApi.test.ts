// The HTTP API with real HttpRequest / InvocationContext objects (@azure/functions test mode),
// real blobs in Azurite, and a recording RunInstances in place of the durable client.
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import type { AppConfig } from '../../src/config.js';
import type { RunSummary } from '../../src/domain/runIndex.js';
import type { RunView } from '../../src/domain/runView.js';
import { computeRunId } from '../../src/domain/runId.js';
import { newRunView, runEnded } from '../../src/domain/runView.js';
import { handleRunsRequest } from '../../src/http/runsApi.js';
import { ExternalEvent } from '../../src/names.js';
import type { StartRunDeps } from '../../src/runs/startRun.js';
import { startAzuriteBlobAndTable, type AzuriteBlob } from '../support/azurite.js';
import {
  expectedLine,
  freshRunIndex,
  LoggingContext,
  RecordingRunInstances,
  testConfig,
} from '../runs/support.js';

let azurite: AzuriteBlob;
let container: ContainerClient;
let config: AppConfig;
let runs: RecordingRunInstances;
let deps: StartRunDeps;

const ROW = JSON.stringify({
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
  ],
});

beforeAll(async () => {
  azurite = await startAzuriteBlobAndTable();
  config = testConfig(azurite.connectionString, { GATE_METRIC: 'eval_loss', GATE_MAX: '1.5' });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'training-data',
  );
  await container.create();
});

afterAll(async () => {
  await azurite.close();
});

beforeEach(() => {
  runs = new RecordingRunInstances();
  deps = {
    runs,
    config,
    blobs: new AzureBlobStore(createContainerClient(config.storage)),
    runIndex: freshRunIndex(config),
  };
});

async function upload(path: string, text: string): Promise<string> {
  const response = await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
  return (response.etag ?? '').replace(/"/g, '');
}

interface Call {
  method?: string;
  id?: string;
  action?: string;
  body?: string;
  query?: Record<string, string>;
}

/** The response bodies this API sends, loosely: tests read what the case at hand needs. */
interface ApiJson {
  error: { code: string; message: string; details?: Record<string, unknown>[] };
  runs: RunView[];
  continuationToken?: string;
  status: string;
}
type ApiResponse = Omit<HttpResponseInit, 'jsonBody'> & { jsonBody: ApiJson };

async function call({ method = 'GET', id, action, body, query }: Call): Promise<ApiResponse> {
  const url = new URL(
    `http://127.0.0.1/api/runs${id === undefined ? '' : `/${id}`}${action === undefined ? '' : `/${action}`}`,
  );
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  const request = new HttpRequest({
    method,
    url: url.href,
    // as the host fills the catch-all route runs/{*path}
    params: { path: [id, action].filter((s) => s !== undefined).join('/') },
    ...(body === undefined ? {} : { body: { string: body } }),
  });
  return (await handleRunsRequest(request, new LoggingContext('runsApi'), deps)) as ApiResponse;
}

describe('POST /api/runs', () => {
  it('starts a run: 202, Location, the Running view, and the orchestration input built from config', async () => {
    const etag = await upload('incoming/chat/train.jsonl', ROW);
    await upload('incoming/chat/test.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/chat/train.jsonl' }),
    });
    const { runId, hash } = computeRunId({
      container: 'training-data',
      path: 'incoming/chat/train.jsonl',
      etag,
      overrides: {},
    });

    expect(response.status).toBe(202);
    expect(response.headers).toEqual({ Location: `/api/runs/${runId}` });
    expect(response.jsonBody).toEqual({
      runId,
      dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag },
      status: 'Running',
      step: 'validate',
      steps: [
        'validate',
        'prepare',
        'resolveModel',
        'checkCompute',
        'submit',
        'train',
        'metrics',
        'gate',
        'register',
        'deploy',
        'smokeTest',
        'cleanup',
      ].map((id) => ({ id, status: 'pending' })),
    });
    expect(runs.started).toEqual([
      {
        instanceId: runId,
        input: {
          runId,
          hash,
          dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag },
          testPath: 'incoming/chat/test.jsonl',
          overrides: {},
          settings: {
            jobPollIntervalSeconds: 30,
            jobDeadlineSeconds: 3600,
            gate: { metric: 'eval_loss', max: 1.5 },
          },
          line: expectedLine('chat'),
        },
      },
    ]);
  });

  it('returns 200 with the existing run for the same dataset version and overrides, starting nothing', async () => {
    await upload('incoming/dup.jsonl', ROW);
    const body = JSON.stringify({ dataset: 'incoming/dup.jsonl', overrides: { num_train_epochs: 2 } });
    const first = await call({ method: 'POST', body });
    const second = await call({ method: 'POST', body });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.headers).toEqual(first.headers);
    expect(runs.started).toHaveLength(1);
  });

  it('treats losing a start race to a concurrent request as the existing run', async () => {
    await upload('incoming/race.jsonl', ROW);
    runs.raceOnNextStart = true;
    const response = await call({ method: 'POST', body: JSON.stringify({ dataset: 'incoming/race.jsonl' }) });
    expect(response.status).toBe(200);
    expect(runs.started).toEqual([]);
  });

  it('starts a re-run with -r<n> when force is true', async () => {
    const etag = await upload('incoming/again.jsonl', ROW);
    const { runId } = computeRunId({
      container: 'training-data',
      path: 'incoming/again.jsonl',
      etag,
      overrides: {},
    });
    await call({ method: 'POST', body: JSON.stringify({ dataset: 'incoming/again.jsonl' }) });
    const r1 = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/again.jsonl', force: true }),
    });
    const r2 = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/again.jsonl', force: true }),
    });
    expect(r1.status).toBe(202);
    expect(r1.headers).toEqual({ Location: `/api/runs/${runId}-r1` });
    expect(r2.headers).toEqual({ Location: `/api/runs/${runId}-r2` });
  });

  it('uses the finetune.json beside the dataset when the body has no overrides (same run as the storage event)', async () => {
    const etag = await upload('incoming/tuned/train.jsonl', ROW);
    await upload('incoming/tuned/finetune.json', JSON.stringify({ learning_rate: 0.0001 }));
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/tuned/train.jsonl' }),
    });
    const { runId } = computeRunId({
      container: 'training-data',
      path: 'incoming/tuned/train.jsonl',
      etag,
      overrides: { learning_rate: 0.0001 },
    });
    expect(response.headers).toEqual({ Location: `/api/runs/${runId}` });
    expect(runs.started[0]?.input.overrides).toEqual({ learning_rate: 0.0001 });
  });

  it('answers 400 with every problem of a bad body', async () => {
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ overrides: [1], force: 'yes', extra: 1 }),
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.code).toBe('REQUEST.INVALID_BODY');
    expect(response.jsonBody.error.details).toEqual([
      { field: 'dataset', message: 'required: the dataset blob path, e.g. incoming/chat/train.jsonl' },
      { field: 'overrides', message: 'must be a JSON object of fine-tune parameters' },
      { field: 'force', message: 'must be true or false' },
      { field: 'extra', message: 'unknown field' },
    ]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await call({ method: 'POST', body: '{"dataset": ' });
    expect(response).toEqual({
      status: 400,
      jsonBody: { error: { code: 'REQUEST.INVALID_JSON', message: 'the body is not valid JSON' } },
    });
  });

  it('answers 400 with the list of bad overrides', async () => {
    await upload('incoming/bad.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: JSON.stringify({
        dataset: 'incoming/bad.jsonl',
        overrides: { num_train_epochz: 1, apply_lora: 'maybe' },
      }),
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.code).toBe('FINETUNE.INVALID_OVERRIDES');
    expect(response.jsonBody.error.details?.map((d) => d.parameter)).toEqual([
      'num_train_epochz',
      'apply_lora',
    ]);
    expect(runs.started).toEqual([]);
  });

  it('answers 400 for a path that is not a dataset and 404 for a dataset that does not exist', async () => {
    const notDataset = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'runs/x/train.jsonl' }),
    });
    expect(notDataset.status).toBe(400);
    expect(notDataset.jsonBody.error.code).toBe('DATASET.BAD_PATH');
    const missing = await call({ method: 'POST', body: JSON.stringify({ dataset: 'incoming/nope.jsonl' }) });
    expect(missing).toEqual({
      status: 404,
      jsonBody: {
        error: {
          code: 'DATASET.NOT_FOUND',
          message: "dataset 'incoming/nope.jsonl' does not exist in container training-data",
        },
      },
    });
  });
});

describe('GET /api/runs/{id}', () => {
  it('returns the run view the orchestration published', async () => {
    const view = newRunView('ft-aaaaaaaaaaaaaaaaaaaa', {
      container: 'training-data',
      path: 'incoming/a.jsonl',
      etag: 'e',
    });
    runs.add({ instanceId: 'ft-aaaaaaaaaaaaaaaaaaaa', customStatus: view });
    const response = await call({ id: 'ft-aaaaaaaaaaaaaaaaaaaa' });
    expect(response).toEqual({ status: 200, jsonBody: view });
  });

  it('returns the output once the run ended', async () => {
    const running = newRunView('ft-bbbbbbbbbbbbbbbbbbbb', {
      container: 'training-data',
      path: 'incoming/b.jsonl',
      etag: 'e',
    });
    const done = runEnded(running, 'Canceled', '2026-01-01T01:00:00.000Z');
    runs.add({
      instanceId: 'ft-bbbbbbbbbbbbbbbbbbbb',
      runtimeStatus: 'Completed',
      customStatus: running,
      output: done,
    });
    expect((await call({ id: 'ft-bbbbbbbbbbbbbbbbbbbb' })).jsonBody).toEqual(done);
  });

  it('shows a crashed orchestration as Failed without internals', async () => {
    const view = newRunView('ft-cccccccccccccccccccc', {
      container: 'training-data',
      path: 'incoming/c.jsonl',
      etag: 'e',
    });
    runs.add({
      instanceId: 'ft-cccccccccccccccccccc',
      runtimeStatus: 'Failed',
      customStatus: view,
      output: 'TypeError: x at y.js:1',
    });
    const body = (await call({ id: 'ft-cccccccccccccccccccc' })).jsonBody;
    expect(body.status).toBe('Failed');
    expect(body.error.code).toBe('RUN.ORCHESTRATION_FAILED');
    expect(JSON.stringify(body)).not.toContain('TypeError');
  });

  it('answers 404 for an unknown run', async () => {
    expect(await call({ id: 'ft-0000000000000000dead' })).toEqual({
      status: 404,
      jsonBody: { error: { code: 'RUN.NOT_FOUND', message: "no run with id 'ft-0000000000000000dead'" } },
    });
  });
});

describe('GET /api/runs (the run index)', () => {
  const id = (n: number): string => `ft-${String(n).padStart(20, '0')}`;
  const summary = (n: number, extra: Partial<RunSummary> = {}): RunSummary => ({
    runId: id(n),
    line: 'chat',
    dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: `0x${n}` },
    status: 'Running',
    step: 'validate',
    startedAt: `2026-01-01T00:00:0${n}.000Z`,
    ...extra,
  });
  const ids = (response: ApiResponse): string[] =>
    (response.jsonBody.runs as unknown as RunSummary[]).map((r) => r.runId);

  it('lists nothing when nothing was indexed', async () => {
    const response = await call({});
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual({ runs: [] });
  });

  it('pages newest first with an opaque continuation token, none on the last page', async () => {
    for (const n of [1, 2, 3]) await deps.runIndex.put(summary(n));

    const first = await call({ query: { top: '2' } });
    const second = await call({
      query: { top: '2', continuationToken: first.jsonBody.continuationToken ?? '' },
    });

    expect(first.status).toBe(200);
    expect(ids(first)).toEqual([id(3), id(2)]);
    expect(first.jsonBody.continuationToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(second.jsonBody).toEqual({ runs: [summary(1)] });
  });

  it('a new run started between pages does not shift the next page', async () => {
    for (const n of [1, 2, 3]) await deps.runIndex.put(summary(n));
    const first = await call({ query: { top: '1' } });
    await deps.runIndex.put(summary(4));
    const second = await call({
      query: { top: '1', continuationToken: first.jsonBody.continuationToken ?? '' },
    });
    expect(ids(second)).toEqual([id(2)]);
  });

  it('filters by status', async () => {
    await deps.runIndex.put(summary(1, { status: 'Failed', endedAt: '2026-01-01T00:01:00.000Z' }));
    await deps.runIndex.put(summary(2, { status: 'Succeeded', endedAt: '2026-01-01T00:02:00.000Z' }));
    await deps.runIndex.put(summary(3, { status: 'Failed', endedAt: '2026-01-01T00:03:00.000Z' }));
    expect(ids(await call({ query: { status: 'Failed' } }))).toEqual([id(3), id(1)]);
  });

  it('filters by line, and by line and status together', async () => {
    await deps.runIndex.put(summary(1, { line: 'support' }));
    await deps.runIndex.put(summary(2, { line: 'support', status: 'Canceled' }));
    await deps.runIndex.put(summary(3));
    expect(ids(await call({ query: { line: 'support' } }))).toEqual([id(2), id(1)]);
    expect(ids(await call({ query: { line: 'support', status: 'Canceled' } }))).toEqual([id(2)]);
  });

  it('shows a run started by POST at once, before its orchestration ran', async () => {
    const etag = await upload('incoming/listed/train.jsonl', ROW);
    const started = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/listed/train.jsonl' }),
    });
    const runId = (started.jsonBody as unknown as RunView).runId;

    const listed = await call({});

    expect(listed.jsonBody.runs).toEqual([
      {
        runId,
        line: 'listed',
        dataset: { container: 'training-data', path: 'incoming/listed/train.jsonl', etag },
        status: 'Running',
        step: 'validate',
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      },
    ]);
  });

  it('does not list a run the index never saw (started before it existed); GET by id still finds it', async () => {
    runs.add({ instanceId: id(7), customStatus: newRunView(id(7), summary(7).dataset) });
    expect((await call({})).jsonBody).toEqual({ runs: [] });
    expect((await call({ id: id(7) })).status).toBe(200);
  });

  it('answers 400 naming the allowed statuses for an unknown status', async () => {
    const response = await call({ query: { status: 'Done' } });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error).toEqual({
      code: 'REQUEST.INVALID_QUERY',
      message: "status: must be one of Running|Succeeded|NotDeployed|RolledBack|Failed|Canceled, got 'Done'",
      details: [
        {
          field: 'status',
          message: "must be one of Running|Succeeded|NotDeployed|RolledBack|Failed|Canceled, got 'Done'",
        },
      ],
    });
  });

  it('answers 400 for a line that is not a line id', async () => {
    const response = await call({ query: { line: 'Chat Bot' } });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.details?.map((d) => d.field)).toEqual(['line']);
  });

  it('takes top from 1 to 100', async () => {
    await deps.runIndex.put(summary(1));
    expect((await call({ query: { top: '1' } })).status).toBe(200);
    expect((await call({ query: { top: '100' } })).status).toBe(200);
    for (const top of ['0', '101', '2.5', 'ten']) {
      const response = await call({ query: { top } });
      expect(response.status, top).toBe(400);
      expect(response.jsonBody.error.message).toBe(`top: must be a whole number from 1 to 100, got '${top}'`);
    }
  });

  it('answers 400 with every problem of the query at once', async () => {
    const response = await call({
      query: { top: '0', status: 'x', line: '-', continuationToken: 'garbage!' },
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.code).toBe('REQUEST.INVALID_QUERY');
    expect(response.jsonBody.error.details?.map((d) => d.field)).toEqual([
      'top',
      'status',
      'line',
      'continuationToken',
    ]);
  });

  for (const [name, token] of [
    ['not base64url', 'not a token!'],
    ['base64url of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON that is not a pair of keys', Buffer.from('[1,2]').toString('base64url')],
    ['an empty key', Buffer.from('[""]').toString('base64url')],
    ['a key with a space', Buffer.from('["a b","c"]').toString('base64url')],
    ['three keys', Buffer.from('["a","b","c"]').toString('base64url')],
    ['a 4,000-character token', 'A'.repeat(4000)],
  ] as const) {
    it(`answers 400 (not 500) for a continuation token that is ${name}`, async () => {
      const response = await call({ query: { continuationToken: token } });
      expect(response.status).toBe(400);
      expect(response.jsonBody.error).toEqual({
        code: 'REQUEST.INVALID_QUERY',
        message: 'continuationToken: not a token this API returned',
        details: [{ field: 'continuationToken', message: 'not a token this API returned' }],
      });
    });
  }
});

describe('POST /api/runs/{id}/cancel', () => {
  it('raises CancelRequested on a running run and answers 202', async () => {
    runs.add({ instanceId: 'ft-eeeeeeeeeeeeeeeeeeee' });
    const response = await call({ method: 'POST', id: 'ft-eeeeeeeeeeeeeeeeeeee', action: 'cancel' });
    expect(response.status).toBe(202);
    expect(runs.raised).toEqual([
      { instanceId: 'ft-eeeeeeeeeeeeeeeeeeee', eventName: ExternalEvent.cancelRequested, payload: {} },
    ]);
  });

  it('answers 409 for a run that already ended and raises nothing', async () => {
    runs.add({ instanceId: 'ft-dddddddddddddddddddd', runtimeStatus: 'Completed' });
    const response = await call({ method: 'POST', id: 'ft-dddddddddddddddddddd', action: 'cancel' });
    expect(response.status).toBe(409);
    expect(response.jsonBody.error.code).toBe('RUN.NOT_RUNNING');
    expect(runs.raised).toEqual([]);
  });

  it('answers 404 for an unknown run', async () => {
    expect((await call({ method: 'POST', id: 'ft-ffffffffffffffffffff', action: 'cancel' })).status).toBe(
      404,
    );
  });
});

describe('errors', () => {
  it('answers 405 with Allow for a method the route does not serve', async () => {
    const response = await call({ method: 'GET', id: 'ft-aaaaaaaaaaaaaaaaaaaa', action: 'cancel' });
    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'POST' });
  });

  it('answers 404 for an unknown action', async () => {
    expect((await call({ id: 'ft-aaaaaaaaaaaaaaaaaaaa', action: 'pause' })).jsonBody.error.code).toBe(
      'REQUEST.NOT_FOUND',
    );
  });

  it('turns an unexpected failure into a 500 without its message or stack', async () => {
    runs.get = () =>
      Promise.reject(new Error('GET https://host/runtime/webhooks/durabletask?code=SECRET failed'));
    const context = new LoggingContext('runsApi');
    const request = new HttpRequest({
      method: 'GET',
      url: 'http://127.0.0.1/api/runs/ft-a',
      params: { path: 'ft-aaaaaaaaaaaaaaaaaaaa' },
    });
    const response = await handleRunsRequest(request, context, deps);
    expect(response).toEqual({
      status: 500,
      jsonBody: {
        error: { code: 'INTERNAL', message: 'the request could not be completed; try again later' },
      },
    });
    expect(context.lines.join('\n')).not.toContain('SECRET');
  });
});

describe('hostile and careless requests (issue 14)', () => {
  it('answers 400 for override names inherited from Object.prototype, starting nothing', async () => {
    await upload('incoming/proto.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: '{"dataset":"incoming/proto.jsonl","overrides":{"constructor":1,"__proto__":{"x":1}}}',
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.details).toEqual([
      {
        parameter: 'constructor',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: 'constructor: not a fine-tune parameter',
      },
      {
        parameter: '__proto__',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: '__proto__: not a fine-tune parameter',
      },
    ]);
    expect(runs.started).toEqual([]);
  });

  it('answers bad overrides with 400 before looking for the dataset', async () => {
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/never-uploaded.jsonl', overrides: { toString: 'x' } }),
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.code).toBe('FINETUNE.INVALID_OVERRIDES');
  });

  it('answers 400 REQUEST.INVALID_BODY naming the limit for overrides nested 5,000 levels deep', async () => {
    await upload('incoming/deep.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: `{"dataset":"incoming/deep.jsonl","overrides":{"num_train_epochs":${'['.repeat(5000)}1${']'.repeat(5000)}}}`,
    });
    expect(response).toEqual({
      status: 400,
      jsonBody: {
        error: {
          code: 'REQUEST.INVALID_BODY',
          message:
            'invalid body: overrides: overrides are nested more than 4 levels deep; fine-tune parameters are single values',
          details: [
            {
              field: 'overrides',
              message: 'overrides are nested more than 4 levels deep; fine-tune parameters are single values',
            },
          ],
        },
      },
    });
  });

  it('answers 400 REQUEST.INVALID_DATASET_PATH for incoming/../train.jsonl even when that blob exists', async () => {
    await upload('train.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/../train.jsonl' }),
    });
    expect(response).toEqual({
      status: 400,
      jsonBody: {
        error: {
          code: 'REQUEST.INVALID_DATASET_PATH',
          message:
            "dataset path 'incoming/../train.jsonl' has an empty, '.' or '..' segment; name a blob under incoming/ without them",
        },
      },
    });
    expect(runs.started).toEqual([]);
  });

  it('answers 400 REQUEST.INVALID_DATASET_PATH for a 16,000-character dataset name', async () => {
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: `incoming/${'n'.repeat(15_985)}.jsonl` }),
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error).toEqual({
      code: 'REQUEST.INVALID_DATASET_PATH',
      message: `dataset path 'incoming/${'n'.repeat(55)}... (16000 characters)' is 16000 characters; Azure blob names are at most 1024`,
    });
  });

  it('answers 400 FINETUNE.OUT_OF_RANGE for num_train_epochs 1e308, starting nothing', async () => {
    await upload('incoming/huge.jsonl', ROW);
    const response = await call({
      method: 'POST',
      body: '{"dataset":"incoming/huge.jsonl","overrides":{"num_train_epochs":1e308}}',
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.details).toEqual([
      {
        parameter: 'num_train_epochs',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: 'num_train_epochs: expected a whole number from 1 to 1000, got 1e+308',
      },
    ]);
    expect(runs.started).toEqual([]);
  });

  it('answers a 1 MB override name with a small 400 that truncates the name', async () => {
    await upload('incoming/longname.jsonl', ROW);
    const name = 'n'.repeat(1_000_000);
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/longname.jsonl', overrides: { [name]: 1 } }),
    });
    expect(response.status).toBe(400);
    expect(response.jsonBody.error.details).toEqual([
      {
        parameter: `${'n'.repeat(64)}... (1000000 characters)`,
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: `${'n'.repeat(64)}... (1000000 characters): not a fine-tune parameter`,
      },
    ]);
    expect(JSON.stringify(response.jsonBody).length).toBeLessThan(1_000);
  });

  it('answers 413 REQUEST.TOO_LARGE for a body over 1 MiB, with the limit', async () => {
    const body = JSON.stringify({ dataset: 'incoming/x.jsonl', pad: 'p'.repeat(1_048_576) });
    expect(await call({ method: 'POST', body })).toEqual({
      status: 413,
      jsonBody: {
        error: {
          code: 'REQUEST.TOO_LARGE',
          message: `the body is ${body.length} bytes; at most 1048576 (1 MiB) are accepted`,
        },
      },
    });
  });

  it('answers 413 from the declared Content-Length before reading the body', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://127.0.0.1/api/runs',
      headers: { 'content-length': '5000000' },
      params: { path: '' },
      body: { string: '{}' },
    });
    const response = await handleRunsRequest(request, new LoggingContext('runsApi'), deps);
    expect(response.status).toBe(413);
  });

  it('lists at most 10 unknown body fields, each name truncated, and counts the rest', async () => {
    const body = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${'f'.repeat(70)}${i}`, 1]));
    const response = await call({
      method: 'POST',
      body: JSON.stringify({ dataset: 'incoming/x.jsonl', ...body }),
    });
    expect(response.jsonBody.error.details).toEqual([
      ...Array.from({ length: 10 }, () => ({
        field: `${'f'.repeat(64)}... (71 characters)`,
        message: 'unknown field',
      })),
      { field: '', message: '2 more unknown fields' },
    ]);
  });

  it.each([
    ['?'],
    ['a/b'],
    ['\u0000'],
    [' '],
    ['%'],
    ['%3F'],
    ['%2F'],
    ['ft-aaaaaaaaaaaaaaaaaaaa?x='],
    ['ft-aaaaaaaaaaaaaaaaaaaa%3Fx%3D'],
  ])('answers GET /api/runs/%j with 404 RUN.NOT_FOUND and never asks for the run', async (id) => {
    runs.add({ instanceId: 'ft-aaaaaaaaaaaaaaaaaaaa' });
    let asked = 0;
    const get = runs.get.bind(runs);
    runs.get = (instanceId) => {
      asked++;
      return get(instanceId);
    };
    const response = await call({ id });
    expect(response.status).toBe(404);
    expect(response.jsonBody.error.code).toBe(id.includes('/') ? 'REQUEST.NOT_FOUND' : 'RUN.NOT_FOUND');
    expect(asked).toBe(0);
  });

  it.each([['?'], ['%2F'], ['%00'], ['%20'], ['%25'], ['ft-aaaaaaaaaaaaaaaaaaaa?x=']])(
    'answers POST /api/runs/%j/cancel with 404 RUN.NOT_FOUND and raises nothing',
    async (id) => {
      runs.add({ instanceId: 'ft-aaaaaaaaaaaaaaaaaaaa' });
      const response = await call({ method: 'POST', id, action: 'cancel' });
      expect(response).toEqual({
        status: 404,
        jsonBody: { error: { code: 'RUN.NOT_FOUND', message: `no run with id '${id}'` } },
      });
      expect(runs.raised).toEqual([]);
    },
  );

  it('answers DELETE /api/runs/{id} with 405, Allow: GET and the JSON error', async () => {
    expect(await call({ method: 'DELETE', id: 'ft-aaaaaaaaaaaaaaaaaaaa' })).toEqual({
      status: 405,
      headers: { Allow: 'GET' },
      jsonBody: {
        error: { code: 'REQUEST.METHOD_NOT_ALLOWED', message: 'DELETE is not allowed here; use GET' },
      },
    });
  });

  it('answers PUT /api/runs with 405 and Allow: GET, POST', async () => {
    const response = await call({ method: 'PUT' });
    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'GET, POST' });
  });

  it('answers an unknown deeper sub-path with 404 REQUEST.NOT_FOUND', async () => {
    expect(await call({ id: 'ft-aaaaaaaaaaaaaaaaaaaa', action: 'cancel/now' })).toEqual({
      status: 404,
      jsonBody: {
        error: {
          code: 'REQUEST.NOT_FOUND',
          message:
            'no such resource: /api/runs/ft-aaaaaaaaaaaaaaaaaaaa/cancel/now; the API serves /api/runs, /api/runs/{id} and /api/runs/{id}/cancel',
        },
      },
    });
  });
});
