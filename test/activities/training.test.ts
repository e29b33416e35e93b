// checkCompute, submit, getJob, metrics and cancelJob (src/activities/training.ts) against the
// Azure ML emulator; each case submits its own job where it needs one.
import { describe, expect, it } from 'vitest';
import { unwrap, useActivityStack } from './support.js';

const stack = useActivityStack();

describe('checkCompute', () => {
  it('passes for the GPU cluster', async () => {
    const model = await stack.resolvedModel();
    const result = await stack.activities.checkCompute({
      overrides: {},
      modelSpecificDefaults: model.modelSpecificDefaults,
      ...(model.finetuneAllowList === undefined ? {} : { finetuneAllowList: model.finetuneAllowList }),
    });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value).toEqual({
      computeName: 'gpu-cluster',
      vmSize: 'Standard_NC24ads_A100_v4',
      gpusPerNode: 1,
      nodes: 1,
      notes: [],
    });
  });

  it('a Failed cluster is COMPUTE.FAILED, not a thrown error', async () => {
    const failedCluster = stack.settings({ COMPUTE_CLUSTER: 'failed-cluster' });
    const result = await stack.activitiesFor(failedCluster).checkCompute({
      overrides: {},
      modelSpecificDefaults: {},
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'COMPUTE.FAILED' } });
  });
});

describe('submit and getJob', () => {
  it('submit creates the job named after the run, and a repeated submit finds it instead of creating another', async () => {
    const runId = 'ft-trainsubmit000000000';
    const prepared = await stack.prepared(runId);
    const model = await stack.resolvedModel();
    const compute = await stack.checkedCompute(model);
    const input = { runId, overrides: { num_train_epochs: 1 }, model, compute, ...prepared };
    const first = await stack.activities.submit(input);
    const again = await stack.activities.submit(input);
    expect(first).toMatchObject({ ok: true, value: { jobName: runId, created: true } });
    expect(again).toMatchObject({ ok: true, value: { jobName: runId, created: false } });
    const job = await stack.activities.getJob({ jobName: runId });
    expect(
      job.ok && ['NotStarted', 'Starting', 'Preparing', 'Queued', 'Running'].includes(job.value.status),
    ).toBe(true);
  });

  it('getJob sees the outcome; metrics reads the child runs', async () => {
    const runId = 'ft-trainoutcome00000000';
    const prepared = await stack.prepared(runId);
    const model = await stack.resolvedModel();
    const compute = await stack.checkedCompute(model);
    // a job clock short enough that the job is soon Running (its steps start then): an outcome
    // that ends it before then leaves no step runs and so no metrics (dev/emulator/jobs.ts)
    expect((await stack.admin('PUT', 'clock', { jobSeconds: 20, lroSeconds: 0.05 })).status).toBe(200);
    try {
      unwrap(
        await stack.activities.submit({
          runId,
          overrides: { num_train_epochs: 1 },
          model,
          compute,
          ...prepared,
        }),
      );
    } finally {
      await stack.admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 0.05 });
    }
    await expect
      .poll(
        async () => {
          const job = await stack.activities.getJob({ jobName: runId });
          return job.ok ? job.value.status : 'error';
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe('Running');
    expect((await stack.admin('POST', `jobs/${runId}/outcome`, { status: 'Completed' })).status).toBeLessThan(
      300,
    );
    let status = '';
    for (let i = 0; i < 100 && status !== 'Completed'; i++) {
      const job = await stack.activities.getJob({ jobName: runId });
      status = job.ok ? job.value.status : 'error';
      if (status !== 'Completed') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('Completed');
    const metrics = await stack.activities.metrics({ jobName: runId });
    if (!metrics.ok) throw new Error(metrics.error.message);
    expect(Object.keys(metrics.value).some((k) => k.endsWith('/eval_loss'))).toBe(true);
  });

  it('a job that does not exist is JOB.NOT_FOUND', async () => {
    expect(await stack.activities.getJob({ jobName: 'ft-missing' })).toMatchObject({
      ok: false,
      error: { code: 'JOB.NOT_FOUND' },
    });
  });
});

describe('cancelJob', () => {
  it('is a no-op for a finished job', async () => {
    const { jobName } = await stack.completedJob('ft-traincancel000000000');
    expect(await stack.activities.cancelJob({ jobName })).toEqual({ ok: true, value: { canceled: false } });
  });
});
