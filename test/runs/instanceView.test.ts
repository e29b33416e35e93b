// viewOf: what GET /api/runs shows for a durable instance.
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AzureBlobStore } from '../../src/adapters/blobStore.js';
import { newRunView, runEnded, runFailed, stepStarted } from '../../src/domain/runView.js';
import { liveViewOf, viewOf } from '../../src/runs/instanceView.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';

const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' };
const at = '2026-01-01T00:00:10.000Z';
const failedAtDeploy = runFailed(
  stepStarted(newRunView('ft-1', dataset), 'deploy', at),
  'deploy',
  { code: 'DEPLOY.FAILED', message: 'deployment ended Failed' },
  at,
);
const cleaningUp = stepStarted(failedAtDeploy, 'cleanup', at);
const instance = (fields: { runtimeStatus: string; customStatus?: unknown; output?: unknown }) => ({
  instanceId: 'ft-1',
  createdTime: '2026-01-01T00:00:00.000Z',
  input: { dataset },
  ...fields,
});

describe('viewOf', () => {
  test('a run still cleaning up after its failure shows Running, with its error and the cleanup step', () => {
    const view = viewOf(instance({ runtimeStatus: 'Running', customStatus: cleaningUp }));
    expect(view.status).toBe('Running');
    expect(view.error).toEqual({ step: 'deploy', code: 'DEPLOY.FAILED', message: 'deployment ended Failed' });
    expect(view.steps.find((s) => s.id === 'cleanup')?.status).toBe('running');
  });

  test('an outcome published before the summary is written shows Running until the orchestration completes', () => {
    const succeeded = runEnded(newRunView('ft-1', dataset), 'Succeeded', at);
    expect(viewOf(instance({ runtimeStatus: 'Running', customStatus: succeeded })).status).toBe('Running');
    expect(
      viewOf(instance({ runtimeStatus: 'Completed', customStatus: succeeded, output: succeeded })).status,
    ).toBe('Succeeded');
  });

  test('the output of a completed orchestration is the view, as it is', () => {
    const done = { ...cleaningUp, status: 'Failed' as const };
    expect(
      viewOf(instance({ runtimeStatus: 'Completed', output: failedAtDeploy, customStatus: done })),
    ).toEqual(failedAtDeploy);
  });

  test('a crashed or terminated orchestration shows Failed with a reason', () => {
    const running = stepStarted(newRunView('ft-1', dataset), 'train', at);
    expect(viewOf(instance({ runtimeStatus: 'Failed', customStatus: running })).error?.code).toBe(
      'RUN.ORCHESTRATION_FAILED',
    );
    const terminated = viewOf(instance({ runtimeStatus: 'Terminated', customStatus: running }));
    expect(terminated).toMatchObject({
      status: 'Failed',
      error: { step: 'train', code: 'RUN.TERMINATED' },
    });
  });

  test('an instance without a published view yet shows a fresh Running view of its dataset', () => {
    expect(viewOf(instance({ runtimeStatus: 'Pending' }))).toEqual({
      runId: 'ft-1',
      dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' },
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
  });
});

describe('liveViewOf (runs/<id>/progress.json in Azurite)', () => {
  let azurite: AzuriteBlob;
  let store: AzureBlobStore;
  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'training-data',
    );
    await container.create();
    store = new AzureBlobStore(container);
  });
  afterAll(async () => {
    await azurite.close();
  });
  const validating = stepStarted(newRunView('ft-1', dataset), 'validate', at);
  const record = '{"step":"validate","rows":1234567,"bytes":812400000,"totalBytes":1330000000,"at":"x"}';

  test('a running validate step shows the progress blob as its detail', async () => {
    await store.writeText('runs/ft-1/progress.json', record, 'application/json');

    const view = await liveViewOf(instance({ runtimeStatus: 'Running', customStatus: validating }), store);

    expect(view.steps.find((s) => s.id === 'validate')).toEqual({
      id: 'validate',
      status: 'running',
      startedAt: at,
      detail: '1,234,567 rows, 812 MB of 1,330 MB read',
    });
  });

  test('without a progress blob the view is viewOf', async () => {
    const other = { ...validating, runId: 'ft-2' };

    const view = await liveViewOf(
      { ...instance({ runtimeStatus: 'Running', customStatus: other }), instanceId: 'ft-2' },
      store,
    );

    expect(view).toEqual(other);
  });
});
