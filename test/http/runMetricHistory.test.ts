// GET /api/runs/{id}/metrics/history through the runs API's router, with real HttpRequest /
// InvocationContext objects. The MLflow history and the job read are our own ports, replaced by
// recording fakes here (the MLflow adapter itself is tested in test/adapters/mlflow.test.ts against
// a recording HTTPS server, and the whole path in test/e2e/dashboard.test.ts on the local stack).
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config.js';
import type { MetricHistorySource, MetricPoint } from '../../src/domain/ports.js';
import type { JobInfo } from '../../src/domain/resources.js';
import { newRunView, type RunView } from '../../src/domain/runView.js';
import { handleRunsRequest } from '../../src/http/runsApi.js';
import type { RunMetricHistoryDeps } from '../../src/http/runMetricHistory.js';
import type { StartRunDeps } from '../../src/runs/startRun.js';
import { LoggingContext, RecordingRunInstances } from '../runs/support.js';

const RUN_ID = 'ft-0123456789abcdef0123';
const DATASET = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' };
const STUDIO = `https://ml.azure.com/runs/${RUN_ID}?wsid=/subscriptions/s/resourcegroups/rg/workspaces/ws`;

class RecordingHistory implements MetricHistorySource {
  readonly asked: { jobName: string; keys: readonly string[] }[] = [];
  constructor(private readonly series: Record<string, MetricPoint[]>) {}
  getJobMetricHistory(jobName: string, keys: readonly string[]): Promise<Record<string, MetricPoint[]>> {
    this.asked.push({ jobName, keys });
    return Promise.resolve(this.series);
  }
}

let runs: RecordingRunInstances;
let history: RecordingHistory;
let job: () => Promise<JobInfo | undefined>;

const withJob = (): RunView => ({ ...newRunView(RUN_ID, DATASET, 'chat'), jobName: RUN_ID });

beforeEach(() => {
  runs = new RecordingRunInstances();
  history = new RecordingHistory({
    'chat_completion_finetune/loss': [
      { step: 10, value: 2.1, timestamp: 1000 },
      { step: 20, value: 1.7, timestamp: 2000 },
    ],
    'chat_completion_finetune/eval_loss': [{ step: 20, value: 1.9, timestamp: 2000 }],
  });
  job = () => Promise.resolve({ name: RUN_ID, status: 'Completed', tags: {}, studioUrl: STUDIO });
});

async function get(
  path: string,
  query: Record<string, string> = {},
  method = 'GET',
): Promise<HttpResponseInit & { jsonBody: Record<string, unknown> }> {
  const url = new URL(`http://127.0.0.1/api/runs/${path}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const request = new HttpRequest({ method, url: url.href, params: { path } });
  // the history route only reads runs; the start dependencies are never touched
  const deps = {
    runs,
    config: {} as AppConfig,
    blobs: undefined as never,
    runIndex: undefined as never,
  } satisfies StartRunDeps;
  const historyDeps: RunMetricHistoryDeps = { metricHistory: history, getJob: () => job() };
  return (await handleRunsRequest(request, new LoggingContext('runsApi'), deps, historyDeps)) as never;
}

describe('GET /api/runs/{id}/metrics/history', () => {
  it('answers the series by step and value, the job name and its studio link', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });

    const response = await get(`${RUN_ID}/metrics/history`);

    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual({
      runId: RUN_ID,
      jobName: RUN_ID,
      studioUrl: STUDIO,
      series: {
        'chat_completion_finetune/loss': [
          { step: 10, value: 2.1 },
          { step: 20, value: 1.7 },
        ],
        'chat_completion_finetune/eval_loss': [{ step: 20, value: 1.9 }],
      },
    });
  });

  it('asks MLflow for loss, eval_loss and train_loss by default', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });

    await get(`${RUN_ID}/metrics/history`);

    expect(history.asked).toEqual([{ jobName: RUN_ID, keys: ['loss', 'eval_loss', 'train_loss'] }]);
  });

  it('asks for the keys of ?keys=, each once', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });

    await get(`${RUN_ID}/metrics/history`, { keys: 'eval_loss, learning_rate,eval_loss' });

    expect(history.asked).toEqual([{ jobName: RUN_ID, keys: ['eval_loss', 'learning_rate'] }]);
  });

  it('refuses a key that is no metric key with 400 REQUEST.INVALID_QUERY', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });

    const response = await get(`${RUN_ID}/metrics/history`, { keys: 'loss,<script>' });

    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({
      error: {
        code: 'REQUEST.INVALID_QUERY',
        message:
          "keys: '<script>' is not a metric key (letters, digits, _ - . / : and spaces, at most 250); e.g. keys=loss,eval_loss",
        details: [
          {
            field: 'keys',
            message: "'<script>' is not a metric key (letters, digits, _ - . / : and spaces, at most 250)",
          },
        ],
      },
    });
    expect(history.asked).toEqual([]);
  });

  it('refuses more than 10 keys', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });
    const keys = Array.from({ length: 11 }, (_, i) => `m${i}`).join(',');

    const response = await get(`${RUN_ID}/metrics/history`, { keys });

    expect(response.status).toBe(400);
    expect((response.jsonBody.error as { message: string }).message).toBe(
      'keys: at most 10 keys, got 11; e.g. keys=loss,eval_loss',
    );
  });

  it('a run not submitted yet has no series, and MLflow is not asked', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Running', customStatus: newRunView(RUN_ID, DATASET) });

    const response = await get(`${RUN_ID}/metrics/history`);

    expect(response.jsonBody).toEqual({ runId: RUN_ID, series: {} });
    expect(history.asked).toEqual([]);
  });

  it('an unknown run is 404 RUN.NOT_FOUND', async () => {
    const response = await get(`${RUN_ID}/metrics/history`);

    expect(response.status).toBe(404);
    expect((response.jsonBody.error as { code: string }).code).toBe('RUN.NOT_FOUND');
  });

  it('leaves the studio link out when the job cannot be read', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });
    job = () => Promise.reject(new Error('AZUREML.UNAVAILABLE'));

    const response = await get(`${RUN_ID}/metrics/history`);

    expect(response.status).toBe(200);
    expect(response.jsonBody).not.toHaveProperty('studioUrl');
  });

  it('answers POST with 405 and Allow: GET', async () => {
    runs.add({ instanceId: RUN_ID, runtimeStatus: 'Completed', output: withJob() });

    const response = await get(`${RUN_ID}/metrics/history`, {}, 'POST');

    expect(response.status).toBe(405);
    expect(response.headers).toEqual({ Allow: 'GET' });
  });
});
