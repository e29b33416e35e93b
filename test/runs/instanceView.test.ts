// viewOf: what GET /api/runs shows for a durable instance.
import { describe, expect, test } from 'vitest';
import { newRunView, runEnded, runFailed, stepStarted } from '../../src/domain/runView.js';
import { viewOf } from '../../src/runs/instanceView.js';

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
