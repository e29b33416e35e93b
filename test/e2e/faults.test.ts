// End to end when things go wrong, on the real local stack: the Azure ML job event is lost (the
// polling backstop finishes the run), a deployment fails (the run fails at deploy and deletes the
// endpoint it created), and the host crashes right after job submission (the restarted host resumes
// the run; still exactly one job). Faults change the emulator for everyone: these tests run one
// after another on this file's own stack and clear the faults when done.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import { Activity } from '../../src/orchestration/contract.js';
import { FunctionName } from '../../src/names.js';
import {
  dumpLogsOnFailure,
  jobsOfRun,
  startE2eStack,
  stepStatus,
  TEARDOWN_OFF,
  waitFor,
  waitForEnd,
  waitForRun,
  type E2eStack,
} from './support.js';

const RUN_TIMEOUT_MS = 60_000;
let e2e: E2eStack;

beforeAll(async () => {
  // JOB_POLL_INTERVAL_SECONDS is 3 (support.ts): the backstop is quick; the teardown stays out of the way
  e2e = await startE2eStack({ settings: { ...TEARDOWN_OFF } });
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

async function addFault(fault: Record<string, unknown>): Promise<void> {
  const response = await e2e.admin('POST', 'faults', fault);
  expect(response.status, response.text).toBe(201);
}

async function jobEventsSubscription(): Promise<{ delivered: number; dropped: number }> {
  const state = await e2e.emulatorState();
  const subscription = state.subscriptions.find((s) => s.name === FunctionName.jobEvents);
  if (subscription === undefined) throw new Error('the stack registered no jobEvents subscription');
  return subscription;
}

describe('when things go wrong', () => {
  dumpLogsOnFailure(() => e2e);
  afterEach(async () => {
    expect((await e2e.admin('DELETE', 'faults')).status).toBe(204);
  });

  test('every Azure ML event lost: the polling backstop still completes the run', async () => {
    const before = await jobEventsSubscription();
    await addFault({ delivery: 'drop', count: 1000 });
    const { runId } = await e2e.upload('incoming/e2e-lost-events/train.jsonl', demoDataset(120));
    const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);

    expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
    expect(stepStatus(view, 'train')).toBe('succeeded');
    const after = await jobEventsSubscription();
    // nothing reached jobEvents: the orchestration learned the outcome by polling the job
    expect(after.delivered).toBe(before.delivered);
    expect(after.dropped).toBeGreaterThan(before.dropped);
    expect(e2e.logs.some((l) => l.includes(Activity.getJob.name) && l.includes(`instance ${runId}`))).toBe(
      true,
    );
    expect((await jobsOfRun(e2e, runId)).map((j) => j.status)).toEqual(['Completed']);
  }, 90_000);

  test("a failed first deployment of a line: the run fails at deploy and the line's endpoint is deleted", async () => {
    const reason = 'e2e: the scoring container exited with code 137 (out of memory)';
    await addFault({
      operation: 'OnlineDeployments_CreateOrUpdate',
      provisioningState: 'Failed',
      message: reason,
    });
    const path = 'incoming/e2e-deploy-fails/train.jsonl';
    const { runId } = await e2e.upload(path, demoDataset(120));
    // the line's endpoint: its name + 8 hex (src/domain/line.ts)
    const endpointPrefix = 'e2e-deploy-fails-';

    const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
    expect(view.status).toBe('Failed');
    expect(stepStatus(view, 'register')).toBe('succeeded');
    expect(stepStatus(view, 'deploy')).toBe('failed');
    expect(stepStatus(view, 'smokeTest')).toBe('skipped');
    expect(view.error).toMatchObject({ step: 'deploy', code: 'DEPLOY.FAILED' });
    expect(JSON.stringify(view.error)).toContain(reason);
    expect(view.endpoint).toBeUndefined();

    // cleanup deleted the endpoint this run had created; nothing of it is left billing
    const cleanup = view.steps.find((s) => s.id === 'cleanup');
    expect(cleanup?.status).toBe('succeeded');
    const deleted = /deleted endpoint (\S+)/.exec(cleanup?.detail ?? '')?.[1];
    expect(deleted?.startsWith(endpointPrefix), cleanup?.detail).toBe(true);
    const state = await e2e.emulatorState();
    expect(state.endpoints.filter((e) => e.name.startsWith(endpointPrefix))).toEqual([]);
    expect(state.deployments.filter((d) => d.endpoint.startsWith(endpointPrefix))).toEqual([]);
    await expect(e2e.arm.onlineEndpoints.get(e2e.rg, e2e.ws, deleted!)).rejects.toMatchObject({
      statusCode: 404,
    });
    // the job had completed: nothing to cancel, still exactly one
    expect((await jobsOfRun(e2e, runId)).map((j) => j.status)).toEqual(['Completed']);
  }, 90_000);

  test('the host killed right after job submission: the restarted host completes the run, one job', async () => {
    const { runId } = await e2e.upload('incoming/e2e-host-crash/train.jsonl', demoDataset(120));
    let hostDown = false;
    try {
      const submitted = await waitForRun(
        e2e,
        runId,
        'to have submitted its job and be waiting for it',
        // train starts once the run index has the submit (indexRun runs between the steps)
        (v) => stepStatus(v, 'train') === 'running' || v.status !== 'Running',
        RUN_TIMEOUT_MS,
      );
      expect(stepStatus(submitted, 'train'), 'the job should still be training').toBe('running');
      await e2e.stack.killHost();
      hostDown = true;
      expect((await jobsOfRun(e2e, runId)).length).toBe(1);
      // the job goes on without the app (it takes 5 s): its events fail to deliver meanwhile
      await waitFor(
        `the job ${runId} to complete while the host is down`,
        async () => ((await jobsOfRun(e2e, runId))[0]?.status === 'Completed' ? true : undefined),
        { timeoutMs: 30_000 },
      );
    } finally {
      if (hostDown) await e2e.stack.startHost();
    }

    const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
    expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
    expect(view.jobName).toBe(runId);
    const jobs = await jobsOfRun(e2e, runId);
    expect(jobs.map((j) => [j.name, j.status])).toEqual([[runId, 'Completed']]);
    expect(view.endpoint).toBeDefined();
    expect((await e2e.emulatorState()).endpoints.some((e) => e.name === view.endpoint!.name)).toBe(true);
  }, 120_000);
});
