// The bad-input corpus (issue 14, the fast part of the reliability suite): generated junk through
// the real HTTP handler (real @azure/functions HttpRequest objects, blobs in Azurite) and both
// webhook handlers. Whatever arrives: never a 500 (nor a throw from a webhook, which Event Grid
// would redeliver forever), every 4xx is the one JSON error shape with a code from the table and
// its status, answers stay small, no run is started or signalled, and no lookup is made with an id
// that is not a run id.
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import type { AppConfig } from '../../src/config.js';
import { ERROR_CODES, isErrorCode } from '../../src/domain/errorCodes.js';
import { handleRunsRequest } from '../../src/http/runsApi.js';
import { handleDatasetUploaded } from '../../src/runs/datasetUploaded.js';
import { handleJobEvent, workspaceResourceId } from '../../src/runs/jobEvents.js';
import type { StartRunDeps } from '../../src/runs/startRun.js';
import { startAzuriteBlobAndTable, type AzuriteBlob } from '../support/azurite.js';
import {
  LoggingContext,
  RecordingRunInstances,
  WORKSPACE,
  freshRunIndex,
  testConfig,
} from '../runs/support.js';

let azurite: AzuriteBlob;
let config: AppConfig;
let runs: RecordingRunInstances;
let deps: StartRunDeps;
/** Ids the handlers asked RunInstances about. */
let lookedUp: string[];

const ROW = JSON.stringify({
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
  ],
});
/** A run that exists, so a junk id that resolved to it would show. */
const REAL_RUN = 'ft-0123456789abcdef0123';
/** Blobs that exist: junk naming them must still start nothing. */
const EXISTING = ['incoming/corpus.jsonl', 'incoming/corpus/train.jsonl', 'train.jsonl', 'corpus.jsonl'];
const STORAGE_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';
const WORKSPACE_ID = workspaceResourceId({
  subscriptionId: WORKSPACE.AZURE_SUBSCRIPTION_ID,
  resourceGroup: WORKSPACE.AZUREML_RESOURCE_GROUP,
  workspace: WORKSPACE.AZUREML_WORKSPACE,
});

beforeAll(async () => {
  azurite = await startAzuriteBlobAndTable();
  config = testConfig(azurite.connectionString);
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'training-data',
  );
  await container.create();
  for (const path of EXISTING) await container.getBlockBlobClient(path).upload(ROW, ROW.length);
});

afterAll(async () => {
  await azurite.close();
});

beforeEach(() => {
  runs = new RecordingRunInstances();
  runs.add({ instanceId: REAL_RUN, runtimeStatus: 'Running' });
  lookedUp = [];
  const get = runs.get.bind(runs);
  runs.get = (instanceId) => {
    lookedUp.push(instanceId);
    return get(instanceId);
  };
  deps = {
    runs,
    config,
    blobs: new AzureBlobStore(createContainerClient(config.storage)),
    runIndex: freshRunIndex(config),
  };
});

const deep = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const manyKeys = (n: number): string =>
  JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));

// ---- HTTP: every method on every junk path ----
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
/** Raw catch-all values (runs/{*path}) as a host hands them over, encoded or decoded. */
const JUNK_PATHS = [
  '?',
  '%3F',
  '%2F',
  'a%2Fb',
  'a/b',
  '%00',
  '\u0000',
  '%20',
  ' ',
  '%25',
  '%',
  '.',
  '..',
  `${REAL_RUN}?x=`,
  `${REAL_RUN}%3Fx%3D`,
  `${REAL_RUN}-r0`,
  REAL_RUN.toUpperCase(),
  'x'.repeat(5_000),
  `${REAL_RUN}/pause`,
  `${REAL_RUN}/cancel/now`,
  `%3F/cancel`,
  'constructor',
  '__proto__/cancel',
];
const pathCases = METHODS.flatMap((method) => JUNK_PATHS.map((path) => ({ method, path })));

// ---- HTTP: junk bodies on POST /api/runs ----
const JUNK_BODIES: string[] = [
  '',
  'null',
  '[]',
  '"incoming/corpus.jsonl"',
  '1',
  'true',
  '{',
  '{"dataset":',
  '\u0000',
  '{"dataset":1}',
  '{"dataset":null}',
  '{"dataset":["incoming/corpus.jsonl"]}',
  '{"dataset":"   "}',
  '{"dataset":"incoming/../train.jsonl"}',
  '{"dataset":"incoming/./corpus.jsonl"}',
  '{"dataset":"incoming//corpus.jsonl"}',
  '{"dataset":"incoming/corpus/../../train.jsonl"}',
  '{"dataset":"incoming\\\\..\\\\corpus.jsonl"}',
  '{"dataset":"../corpus.jsonl"}',
  '{"dataset":"corpus.jsonl"}',
  '{"dataset":"/incoming/corpus.jsonl"}',
  '{"dataset":"incoming/corpus.jsonl\\u0000"}',
  `{"dataset":"incoming/${'n'.repeat(16_000)}.jsonl"}`,
  `{"dataset":"incoming/${'n'.repeat(1_016)}.jsonl"}`,
  ...['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', '__defineGetter__'].map(
    (name) => `{"dataset":"incoming/corpus.jsonl","overrides":{"${name}":1}}`,
  ),
  '{"dataset":"incoming/corpus.jsonl","overrides":{"__proto__":{"num_train_epochs":2}}}',
  `{"dataset":"incoming/corpus.jsonl","overrides":{"num_train_epochs":${deep(5_000)}}}`,
  `{"dataset":"incoming/corpus.jsonl","overrides":{"metric_for_best_model":${deep(50)}}}`,
  `{"dataset":"incoming/corpus.jsonl","overrides":${manyKeys(5_000)}}`,
  `{"dataset":"incoming/corpus.jsonl","overrides":{"seed":${manyKeys(300)}}}`,
  ...[
    '1e308',
    '-1e308',
    '1e21',
    '9007199254740993',
    '0',
    '-1',
    '1.5',
    '"1e400"',
    '"NaN"',
    '"Infinity"',
    '""',
    'null',
    '{}',
    '[]',
  ].map((value) => `{"dataset":"incoming/corpus.jsonl","overrides":{"num_train_epochs":${value}}}`),
  '{"dataset":"incoming/corpus.jsonl","overrides":{"learning_rate":1e308}}',
  '{"dataset":"incoming/corpus.jsonl","overrides":{"lora_dropout":"-0.5"}}',
  `{"dataset":"incoming/corpus.jsonl","overrides":{"metric_for_best_model":"${'m'.repeat(100_000)}"}}`,
  `{"dataset":"incoming/corpus.jsonl","overrides":{"${'n'.repeat(1_000_000)}":1}}`,
  `{"dataset":"incoming/corpus.jsonl","overrides":{"num_train_epochz":1,"${'q'.repeat(200)}":2}}`,
  '{"dataset":"incoming/corpus.jsonl","overrides":[]}',
  '{"dataset":"incoming/corpus.jsonl","overrides":"num_train_epochs=2"}',
  '{"dataset":"incoming/corpus.jsonl","force":"yes"}',
  '{"dataset":"incoming/corpus.jsonl","force":1}',
  '{"dataset":"incoming/corpus.jsonl","extra":1}',
  `{"dataset":"incoming/corpus.jsonl",${Array.from({ length: 500 }, (_, i) => `"${'f'.repeat(100)}${i}":1`).join(',')}}`,
  '{"__proto__":{"dataset":"incoming/corpus.jsonl"}}',
  '{"constructor":{"dataset":"incoming/corpus.jsonl"}}',
  `{"dataset":"incoming/corpus.jsonl","pad":"${'p'.repeat(1_048_576)}"}`,
  'x'.repeat(2_000_000),
];

// ---- HTTP: junk queries on GET /api/runs ----
const JUNK_QUERIES: Record<string, string>[] = [
  { top: '0' },
  { top: '-1' },
  { top: '101' },
  { top: '1e308' },
  { top: 'abc' },
  { top: 'x'.repeat(100_000) },
  { continuationToken: 'garbage' },
  { continuationToken: Buffer.from('[1,2]').toString('base64url') },
  { continuationToken: 'A'.repeat(200_000) },
  // the run index's filters and its opaque token (src/domain/runIndex.ts)
  { status: 'done' },
  { status: 'failed' },
  { status: 'toString' },
  { status: 'x'.repeat(100_000) },
  { line: '../chat' },
  { line: 'Chat' },
  { line: '' },
  { line: 'l'.repeat(64) },
  { continuationToken: Buffer.from('["a b"]').toString('base64url') },
  { continuationToken: Buffer.from('["runs","x","y"]').toString('base64url') },
  { continuationToken: Buffer.from('{"nextPartitionKey":"runs"}').toString('base64url') },
  { continuationToken: Buffer.from(JSON.stringify(['r'.repeat(2000)])).toString('base64url') },
];

function request(method: string, path: string, body?: string, query: Record<string, string> = {}) {
  const url = new URL('http://127.0.0.1/api/runs');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return new HttpRequest({
    method,
    url: url.href,
    params: { path },
    ...(body === undefined ? {} : { body: { string: body } }),
  });
}

/** The invariants every HTTP answer to junk keeps. */
function expectWellFormed(response: HttpResponseInit): void {
  const status = response.status ?? 200;
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  const body = response.jsonBody as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error?.message).toBe('string');
  const code = String(body.error?.code);
  expect(isErrorCode(code) ? ERROR_CODES[code].status : `not in the table: ${code}`).toBe(status);
  expect(JSON.stringify(body).length).toBeLessThan(16_384);
  if (status === 405) expect(Object.keys(response.headers ?? {})).toEqual(['Allow']);
}

function expectNothingStarted(): void {
  expect(runs.started).toEqual([]);
  expect(runs.raised).toEqual([]);
  expect(lookedUp.filter((id) => !/^ft-[0-9a-f]{20}(-r[1-9][0-9]*)?$/.test(id))).toEqual([]);
}

describe('HTTP API: every method on junk paths', () => {
  it.each(pathCases.map((c) => [`${c.method} /api/runs/${JSON.stringify(c.path).slice(0, 60)}`, c] as const))(
    '%s',
    async (_, { method, path }) => {
      const response = await handleRunsRequest(
        request(method, path, '{}'),
        new LoggingContext('runsApi'),
        deps,
      );
      expectWellFormed(response);
      expectNothingStarted();
    },
  );
});

describe('HTTP API: junk bodies on POST /api/runs', () => {
  it.each(JUNK_BODIES.map((body, i) => [`#${i} ${JSON.stringify(body).slice(0, 80)}`, body] as const))(
    '%s',
    async (_, body) => {
      const response = await handleRunsRequest(
        request('POST', '', body),
        new LoggingContext('runsApi'),
        deps,
      );
      expectWellFormed(response);
      expectNothingStarted();
    },
  );
});

describe('HTTP API: junk queries on GET /api/runs', () => {
  it.each(JUNK_QUERIES.map((query) => [JSON.stringify(query).slice(0, 60), query] as const))(
    '%s',
    async (_, query) => {
      const response = await handleRunsRequest(
        request('GET', '', undefined, query),
        new LoggingContext('runsApi'),
        deps,
      );
      expectWellFormed(response);
      expectNothingStarted();
    },
  );
});

// ---- Webhooks: junk events ----
const blobCreated = (overrides: Record<string, unknown>) => ({
  id: 'corpus-event',
  topic: STORAGE_TOPIC,
  subject: '/blobServices/default/containers/training-data/blobs/incoming/corpus.jsonl',
  eventType: 'Microsoft.Storage.BlobCreated',
  eventTime: '2026-01-01T00:00:00Z',
  dataVersion: '',
  metadataVersion: '1',
  data: { api: 'PutBlob', eTag: '"0x8DC0FFEE"', blobType: 'BlockBlob' },
  ...overrides,
});
const subjectFor = (path: string) => `/blobServices/default/containers/training-data/blobs/${path}`;
const SHAPELESS: unknown[] = [null, undefined, 0, 42, '', 'event', true, [], [null], {}, { id: 'only-id' }];

const JUNK_BLOB_EVENTS: unknown[] = [
  ...SHAPELESS,
  blobCreated({ subject: 1 }),
  blobCreated({ subject: null }),
  blobCreated({ eventType: null }),
  blobCreated({ eventType: { x: 1 } }),
  blobCreated({ topic: 7 }),
  blobCreated({ topic: '' }),
  blobCreated({ topic: STORAGE_TOPIC.replace('devstoreaccount1', 'attacker') }),
  blobCreated({ topic: `${STORAGE_TOPIC}/extra` }),
  blobCreated({ topic: 'x'.repeat(1_000_000) }),
  blobCreated({ subject: subjectFor('incoming/../train.jsonl') }),
  blobCreated({ subject: subjectFor('incoming/./corpus.jsonl') }),
  blobCreated({ subject: subjectFor('incoming//corpus.jsonl') }),
  blobCreated({ subject: subjectFor('incoming/corpus/../../train.jsonl') }),
  blobCreated({ subject: subjectFor('incoming\\..\\corpus.jsonl') }),
  blobCreated({ subject: subjectFor(`incoming/${'n'.repeat(16_000)}.jsonl`) }),
  blobCreated({ subject: subjectFor(`incoming/${'n'.repeat(1_048_576)}.jsonl`) }),
  blobCreated({ subject: subjectFor('incoming/corpus.jsonl\u0000') }),
  blobCreated({ subject: '/blobServices/default/containers/other/blobs/incoming/corpus.jsonl' }),
  blobCreated({ subject: subjectFor('train.jsonl') }),
  blobCreated({ eventType: 'Microsoft.Storage.BlobDeleted' }),
  blobCreated({ data: null }),
  blobCreated({ data: 'eTag' }),
  blobCreated({ data: { eTag: 5 } }),
  blobCreated({ data: { eTag: '' } }),
  blobCreated({ data: { eTag: 'e'.repeat(100_000) } }),
  blobCreated({ data: JSON.parse(manyKeys(10_000)) as unknown }),
];

const runEvent = (overrides: Record<string, unknown>, data: Record<string, unknown> = {}) => ({
  id: 'corpus-job-event',
  topic: WORKSPACE_ID,
  subject: `experiments/e/runs/${REAL_RUN}`,
  eventType: 'Microsoft.MachineLearningServices.RunCompleted',
  data: {
    runId: REAL_RUN,
    runType: 'azureml.PipelineRun',
    runTags: { 'autopilot-run-id': REAL_RUN },
    runProperties: {},
    ...data,
  },
  ...overrides,
});

const JUNK_JOB_EVENTS: unknown[] = [
  ...SHAPELESS,
  runEvent({ subject: 5 }),
  runEvent({ eventType: null }),
  runEvent({ topic: [] }),
  runEvent({
    topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/z',
  }),
  runEvent({ topic: 'x'.repeat(1_000_000) }),
  runEvent({ subject: 's'.repeat(1_000_000) }),
  runEvent({ eventType: 'Microsoft.MachineLearningServices.ModelRegistered' }),
  runEvent({ data: null, subject: 'experiments/e/runs/' }),
  ...[
    `${REAL_RUN}?x=`,
    `${REAL_RUN}/cancel`,
    '%2F',
    '\u0000',
    REAL_RUN.toUpperCase(),
    'ft-'.padEnd(10_000, 'a'),
  ].map((id) =>
    runEvent({ subject: `experiments/e/runs/${id}` }, { runId: id, runTags: { 'autopilot-run-id': id } }),
  ),
  runEvent({}, { runTags: { 'autopilot-run-id': `${REAL_RUN}?x=` } }),
  runEvent({}, { runType: 'azureml.StepRun' }),
  runEvent({ eventType: 'Microsoft.MachineLearningServices.RunStatusChanged' }, { runStatus: 7 }),
  runEvent(
    { eventType: 'Microsoft.MachineLearningServices.RunStatusChanged' },
    { runStatus: 'x'.repeat(100_000) },
  ),
];

const label = (value: unknown, i: number): string =>
  `#${i} ${(value === undefined ? 'undefined' : JSON.stringify(value)).slice(0, 80)}`;

describe('datasetUploaded webhook: junk events', () => {
  it.each(JUNK_BLOB_EVENTS.map((event, i) => [label(event, i), event] as const))('%s', async (_, event) => {
    const context = new LoggingContext('datasetUploaded');
    const outcome = await handleDatasetUploaded(event, context, deps);
    expect(Object.keys(outcome)).toEqual(['ignored']);
    expect(context.lines.join('\n').length).toBeLessThan(2_048);
    expectNothingStarted();
  });
});

describe('jobEvents webhook: junk events', () => {
  it.each(JUNK_JOB_EVENTS.map((event, i) => [label(event, i), event] as const))('%s', async (_, event) => {
    const context = new LoggingContext('jobEvents');
    const outcome = await handleJobEvent(event, context, { runs, workspaceId: WORKSPACE_ID });
    expect(Object.keys(outcome)).toEqual(['ignored']);
    expect(context.lines.join('\n').length).toBeLessThan(2_048);
    expectNothingStarted();
  });
});

describe('the corpus itself', () => {
  it('holds at least 200 generated cases', () => {
    const total =
      pathCases.length +
      JUNK_BODIES.length +
      JUNK_QUERIES.length +
      JUNK_BLOB_EVENTS.length +
      JUNK_JOB_EVENTS.length;
    expect(total).toBeGreaterThanOrEqual(200);
  });
});
