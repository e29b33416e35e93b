import { describe, expect, it } from 'vitest';
import {
  isFinished,
  newRunView,
  runEnded,
  runFailed,
  stepFailed,
  stepSkipped,
  stepStarted,
  stepSucceeded,
  withPatch,
} from '../../src/domain/runView.js';

const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC0FFEE' };
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const T2 = '2026-01-01T00:02:00.000Z';
const ALL_PENDING = [
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
].map((id) => ({ id, status: 'pending' }));

describe('newRunView', () => {
  it('starts Running at validate with every step pending', () => {
    expect(newRunView('ft-1', dataset)).toEqual({
      runId: 'ft-1',
      dataset,
      status: 'Running',
      step: 'validate',
      steps: ALL_PENDING,
    });
  });
});

describe('step transitions', () => {
  it('records start and end times and moves the current step', () => {
    let view = newRunView('ft-1', dataset);
    view = stepStarted(view, 'validate', T0);
    expect(view.steps[0]).toEqual({ id: 'validate', status: 'running', startedAt: T0 });
    view = stepSucceeded(view, 'validate', T1, '120 conversations');
    view = stepStarted(view, 'prepare', T1);
    expect(view.step).toBe('prepare');
    expect(view.steps.slice(0, 2)).toEqual([
      { id: 'validate', status: 'succeeded', startedAt: T0, endedAt: T1, detail: '120 conversations' },
      { id: 'prepare', status: 'running', startedAt: T1 },
    ]);
    expect(view.status).toBe('Running');
  });

  it('does not mutate the view it is given', () => {
    const before = newRunView('ft-1', dataset);
    stepStarted(before, 'validate', T0);
    expect(before.steps[0]).toEqual({ id: 'validate', status: 'pending' });
  });

  it('skips a step without moving the current step', () => {
    const view = stepSkipped(stepStarted(newRunView('ft-1', dataset), 'gate', T0), 'deploy', 'gate failed');
    expect(view.step).toBe('gate');
    expect(view.steps[9]).toEqual({ id: 'deploy', status: 'skipped', detail: 'gate failed' });
  });
});

describe('runFailed', () => {
  it('ends Failed with {step, code, message, details} and skips the steps that never ran', () => {
    let view = stepStarted(newRunView('ft-1', dataset), 'validate', T0);
    const details = [{ line: 3, code: 'DATASET.INVALID_ROLE', message: "message 1 has role 'bot'" }];
    view = runFailed(view, 'validate', { code: 'DATASET.INVALID', message: 'dataset rejected', details }, T1);
    expect(view.status).toBe('Failed');
    expect(view.step).toBe('validate');
    expect(view.error).toEqual({
      step: 'validate',
      code: 'DATASET.INVALID',
      message: 'dataset rejected',
      details,
    });
    expect(view.steps[0]).toEqual({ id: 'validate', status: 'failed', startedAt: T0, endedAt: T1 });
    expect(view.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
    expect(isFinished(view)).toBe(true);
  });

  it('omits details when the problem has none', () => {
    const view = runFailed(
      newRunView('ft-1', dataset),
      'checkCompute',
      { code: 'COMPUTE.FAILED', message: 'm' },
      T1,
    );
    expect(view.error).toEqual({ step: 'checkCompute', code: 'COMPUTE.FAILED', message: 'm' });
  });

  it('still lets cleanup run and be recorded after the failure', () => {
    let view = runFailed(newRunView('ft-1', dataset), 'deploy', { code: 'DEPLOY.FAILED', message: 'm' }, T1);
    view = stepSucceeded(stepStarted(view, 'cleanup', T1), 'cleanup', T2, 'endpoint deleted');
    expect(view.status).toBe('Failed');
    expect(view.steps[11]).toEqual({
      id: 'cleanup',
      status: 'succeeded',
      startedAt: T1,
      endedAt: T2,
      detail: 'endpoint deleted',
    });
  });
});

describe('stepFailed', () => {
  it('records a failed cleanup without replacing the run error', () => {
    let view = runFailed(newRunView('ft-1', dataset), 'deploy', { code: 'DEPLOY.FAILED', message: 'm' }, T1);
    view = stepFailed(stepStarted(view, 'cleanup', T1), 'cleanup', T2, 'endpoint ft-abc-1234 not deleted');
    expect(view.status).toBe('Failed');
    expect(view.error).toEqual({ step: 'deploy', code: 'DEPLOY.FAILED', message: 'm' });
    expect(view.steps[11]).toEqual({
      id: 'cleanup',
      status: 'failed',
      startedAt: T1,
      endedAt: T2,
      detail: 'endpoint ft-abc-1234 not deleted',
    });
  });
});

describe('runEnded', () => {
  it('ends NotDeployed after a failed gate, skipping deploy and smoke test', () => {
    let view = stepSucceeded(stepStarted(newRunView('ft-1', dataset), 'gate', T0), 'gate', T1);
    view = runEnded(view, 'NotDeployed', T2);
    expect(view.status).toBe('NotDeployed');
    expect(view.error).toBeUndefined();
    expect(view.steps.find((s) => s.id === 'deploy')).toEqual({ id: 'deploy', status: 'skipped' });
  });

  it('ends Canceled, closing the running step as canceled', () => {
    const view = runEnded(stepStarted(newRunView('ft-1', dataset), 'train', T0), 'Canceled', T1);
    expect(view.status).toBe('Canceled');
    expect(view.step).toBe('train');
    expect(view.steps[5]).toEqual({
      id: 'train',
      status: 'skipped',
      startedAt: T0,
      endedAt: T1,
      detail: 'canceled',
    });
  });

  it('ends Succeeded keeping what each step recorded', () => {
    const view = runEnded(
      stepSucceeded(stepStarted(newRunView('ft-1', dataset), 'smokeTest', T0), 'smokeTest', T1),
      'Succeeded',
      T2,
    );
    expect(view.status).toBe('Succeeded');
    expect(view.steps[10]).toEqual({ id: 'smokeTest', status: 'succeeded', startedAt: T0, endedAt: T1 });
  });
});

describe('withPatch', () => {
  it('sets the given members and keeps the others', () => {
    let view = withPatch(newRunView('ft-1', dataset), {
      jobName: 'ft-1',
      metrics: { 'finetune/eval_loss': 0.5 },
    });
    view = withPatch(view, {
      endpoint: { name: 'ft-abc-1234', scoringUri: 'https://x/score' },
      jobName: undefined,
    });
    expect(view.jobName).toBe('ft-1');
    expect(view.metrics).toEqual({ 'finetune/eval_loss': 0.5 });
    expect(view.endpoint).toEqual({ name: 'ft-abc-1234', scoringUri: 'https://x/score' });
    expect('model' in view).toBe(false);
  });

  it('survives a JSON round trip unchanged (it is durable customStatus)', () => {
    const view = withPatch(stepStarted(newRunView('ft-1', dataset), 'train', T0), { jobName: 'ft-1' });
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});
