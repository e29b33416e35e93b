import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/credential.js';
import { JsonHttpClient, transportOptions } from '../../src/adapters/http.js';
import { MlflowRunMetrics, trackingBaseUrl } from '../../src/adapters/mlflow.js';
import { RecordingServer, type RecordedRequest, type Reply } from '../support/recordingServer.js';

const WS_PATH =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const MLFLOW = `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow`;
const JOB = 'ft-0123456789abcdef0123';

let server: RecordingServer;
let source: MlflowRunMetrics;

function run(id: string, name: string, metrics: Record<string, number>): unknown {
  return {
    info: { run_id: id, run_name: name, status: 'FINISHED', experiment_id: 'exp-1' },
    data: {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 1, step: 3 })),
      params: [],
      tags: [{ key: 'mlflow.parentRunId', value: 'x' }],
    },
  };
}

/** Children by parent run id, as the MLflow server would find them by tag. */
const CHILDREN: Record<string, unknown[]> = {
  [JOB]: [run('step-1', 'model_import', {}), run('step-2', 'finetune_pipeline', { train_runtime: 310.5 })],
  'step-2': [
    run('step-3', 'finetune', { train_loss: 1.25, eval_loss: 1.5 }),
    run('step-4', 'model_evaluation', { perplexity: 4.48 }),
  ],
};

function search(request: RecordedRequest): Reply {
  const body = JSON.parse(request.body) as { filter: string };
  const parent = /tags\.mlflow\.parentRunId = '(.*)'/.exec(body.filter)?.[1] ?? '';
  return { status: 200, body: { runs: CHILDREN[parent] ?? [] } };
}

beforeAll(async () => {
  server = await RecordingServer.start();
  const http = new JsonHttpClient('MLFLOW', transportOptions(server.caPath), {
    credential: new StaticTokenCredential(),
    scope: 'https://management.azure.com/.default',
  });
  const host = new URL(server.baseUrl).host;
  source = new MlflowRunMetrics(http, () => Promise.resolve(`azureml://${host}/mlflow/v1.0${WS_PATH}`));
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('MlflowRunMetrics', () => {
  it('collects every metric of nested child runs, keyed <run name>/<metric>', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, { status: 200, body: { run: run(JOB, JOB, {}) } });
    server.on('POST', `${MLFLOW}/runs/search`, search);

    const metrics = await source.getJobMetrics(JOB);

    expect(metrics).toEqual({
      'finetune_pipeline/train_runtime': 310.5,
      'finetune/train_loss': 1.25,
      'finetune/eval_loss': 1.5,
      'model_evaluation/perplexity': 4.48,
    });
    const first = JSON.parse(server.recorded('POST')[0]?.body ?? '');
    expect(first).toEqual({
      experiment_ids: ['exp-1'],
      filter: `tags.mlflow.parentRunId = '${JOB}'`,
      max_results: 100,
    });
    expect(server.recorded('GET')[0]?.query.get('run_id')).toBe(JOB);
    expect(server.recorded('POST')[0]?.headers.authorization).toMatch(/^Bearer /);
  });

  it('follows next_page_token', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, {
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no run' },
    });
    server.on('POST', `${MLFLOW}/runs/search`, (request) => {
      const body = JSON.parse(request.body) as { filter: string; page_token?: string };
      if (!body.filter.includes(JOB)) return { status: 200, body: {} };
      return body.page_token === 'p2'
        ? { status: 200, body: { runs: [run('b', 'evaluation', { perplexity: 5 })] } }
        : { status: 200, body: { runs: [run('a', 'finetune', { eval_loss: 2 })], next_page_token: 'p2' } };
    });

    expect(await source.getJobMetrics(JOB)).toEqual({ 'finetune/eval_loss': 2, 'evaluation/perplexity': 5 });
    // No experiment known: the search is not scoped.
    expect(JSON.parse(server.recorded('POST')[0]?.body ?? '')).not.toHaveProperty('experiment_ids');
  });

  it('a job with no child runs has no metrics', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, { status: 200, body: { run: run(JOB, JOB, {}) } });
    server.on('POST', `${MLFLOW}/runs/search`, { status: 200, body: {} });

    expect(await source.getJobMetrics(JOB)).toEqual({});
  });

  it('reads the per-step history of the asked keys from the child runs that logged them', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, { status: 200, body: { run: run(JOB, JOB, {}) } });
    server.on('POST', `${MLFLOW}/runs/search`, search);
    server.on('GET', `${MLFLOW}/metrics/get-history`, (request) => {
      const key = request.query.get('metric_key');
      const runId = request.query.get('run_id');
      if (runId !== 'step-3') return { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } };
      return key === 'eval_loss'
        ? { status: 200, body: { metrics: [{ key, value: 1.5, timestamp: 200, step: 20 }] } }
        : {
            status: 200,
            // out of order, step as protobuf JSON's int64 string, step 0 left out
            body: {
              metrics: [
                { key, value: 1.9, timestamp: 150, step: '10' },
                { key, value: 2.4, timestamp: 100 },
              ],
            },
          };
    });

    const series = await source.getJobMetricHistory(JOB, ['train_loss', 'eval_loss', 'loss']);

    expect(series).toEqual({
      'finetune/train_loss': [
        { step: 0, value: 2.4, timestamp: 100 },
        { step: 10, value: 1.9, timestamp: 150 },
      ],
      'finetune/eval_loss': [{ step: 20, value: 1.5, timestamp: 200 }],
    });
  });

  it('asks get-history only for keys a run logged, by run id and key', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, { status: 200, body: { run: run(JOB, JOB, {}) } });
    server.on('POST', `${MLFLOW}/runs/search`, search);
    server.on('GET', `${MLFLOW}/metrics/get-history`, { status: 200, body: {} });

    await source.getJobMetricHistory(JOB, ['eval_loss']);

    const asked = server
      .recorded('GET')
      .filter((r) => r.path.endsWith('/metrics/get-history'))
      .map((r) => [...r.query.entries()]);
    expect(asked).toEqual([
      [
        ['run_id', 'step-3'],
        ['metric_key', 'eval_loss'],
      ],
    ]);
  });

  it('follows the history next_page_token', async () => {
    server.on('GET', `${MLFLOW}/runs/get`, { status: 200, body: { run: run(JOB, JOB, {}) } });
    server.on('POST', `${MLFLOW}/runs/search`, search);
    server.on('GET', `${MLFLOW}/metrics/get-history`, (request) =>
      request.query.get('page_token') === 'h2'
        ? { status: 200, body: { metrics: [{ key: 'eval_loss', value: 1.2, timestamp: 2, step: 2 }] } }
        : {
            status: 200,
            body: {
              metrics: [{ key: 'eval_loss', value: 1.6, timestamp: 1, step: 1 }],
              next_page_token: 'h2',
            },
          },
    );

    const series = await source.getJobMetricHistory(JOB, ['eval_loss']);

    expect(series['finetune/eval_loss']?.map((p) => p.value)).toEqual([1.6, 1.2]);
  });

  it('turns the azureml:// tracking URI into its https REST base', () => {
    expect(trackingBaseUrl('azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/s/')).toBe(
      'https://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/s',
    );
  });
});
