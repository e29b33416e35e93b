// Waiting out a throttle on a durable timer (src/orchestration/throttle.ts), through the fine-tune
// orchestration and durable-functions' own replay (./durableSim.ts): an activity that hands back
// `<SERVICE>.THROTTLED` with a long Retry-After makes the run sleep on a timer and call again,
// within a budget, and a cancel during the sleep still ends the run Canceled.
import * as azf from '@azure/functions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunView } from '../../src/domain/runView.js';
import { ExternalEvent, FunctionName } from '../../src/names.js';
import { Activity, type FineTuneInput } from '../../src/orchestration/contract.js';
import { THROTTLE_LIMITS } from '../../src/orchestration/throttle.js';
import { DurableSim, type OrchestratorState } from './durableSim.js';

type Handler = ConstructorParameters<typeof DurableSim>[0];
let handler: Handler;

beforeAll(async () => {
  const registered = new Map<string, { handler: Handler }>();
  vi.spyOn(azf.app, 'generic').mockImplementation((name: string, options: unknown) => {
    registered.set(name, options as { handler: Handler });
  });
  await import('../../functions/fineTuneOrchestrator.js');
  const orchestration = registered.get(FunctionName.fineTuneOrchestrator);
  if (orchestration === undefined) throw new Error('fineTuneOrchestrator was not registered');
  handler = orchestration.handler;
  vi.restoreAllMocks();
});

const RUN_ID = 'ft-0123456789abcdef0123';
const input: FineTuneInput = {
  runId: RUN_ID,
  hash: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC' },
  overrides: {},
  settings: { jobPollIntervalSeconds: 600, jobDeadlineSeconds: 3600 },
};

const MESSAGE = 'GET blob incoming/chat/train.jsonl: HTTP 429 ServerBusy: slow down (gave up after retries)';
/** What validate hands back when Storage asked for `seconds` (src/activities/shared.ts `expected`). */
const throttled = (seconds: number) => ({
  ok: false,
  error: {
    code: 'STORAGE.THROTTLED',
    message: MESSAGE,
    details: { status: 429, serviceCode: 'ServerBusy', operation: 'GET blob', retryAfterSeconds: seconds },
  },
});
const validated = {
  ok: true,
  value: {
    format: 'jsonl',
    rows: 100,
    validRows: 100,
    warnings: 0,
    reportPath: `runs/${RUN_ID}/report.json`,
  },
};

const viewOf = (state: OrchestratorState | undefined): RunView =>
  (state?.output ?? state?.customStatus) as RunView;
const liveTimers = (sim: DurableSim) => sim.pendingTimers().filter((t) => t.timerAction?.isCanceled !== true);

/** Starts a run whose validate is throttled once for `seconds`. */
async function throttledOnce(seconds: number): Promise<DurableSim> {
  const sim = new DurableSim(handler, RUN_ID, input);
  await sim.start();
  await sim.complete(Activity.validate.name, throttled(seconds)).episode();
  return sim;
}

describe('a throttle longer than the activity retries', () => {
  it('is waited out on a durable timer of the Retry-After, racing CancelRequested, with no activity running', async () => {
    const sim = await throttledOnce(120);
    // validate's throttled answer came in the episode at 00:00:02
    expect(sim.scheduled.slice(-2)).toEqual([
      { kind: 'wait', event: ExternalEvent.cancelRequested },
      { kind: 'timer', id: expect.any(Number), fireAt: '2026-01-01T00:02:02.000Z', canceled: false },
    ]);
    expect(sim.pendingActivities()).toEqual([]);
    expect(sim.state?.isDone).toBe(false);
  });

  it('calls the activity again when the timer fires, and the run goes on when it succeeds', async () => {
    const sim = await throttledOnce(120);
    await sim.fireTimer().episode();
    expect(sim.pendingActivities().map((p) => [p.name, p.input])).toEqual([
      [Activity.validate.name, { runId: RUN_ID, dataset: input.dataset }],
    ]);
    await sim.complete(Activity.validate.name, validated).episode();

    expect(sim.activityNames()).toEqual([
      Activity.validate.name,
      Activity.validate.name,
      Activity.prepare.name,
    ]);
    expect(viewOf(sim.state).steps.find((s) => s.id === 'validate')?.status).toBe('succeeded');
  });

  it('logs the wait once, naming the activity, the code and the seconds', async () => {
    const sim = await throttledOnce(120);
    expect(sim.logs).toContain(
      `run ${RUN_ID}: ${Activity.validate.name} throttled (STORAGE.THROTTLED): calling again in 120 s`,
    );
  });

  it('caps one wait at an hour, however long the service asks (it may be ready sooner)', async () => {
    const sim = await throttledOnce(2 * 3600);
    expect(sim.scheduled.at(-1)).toEqual({
      kind: 'timer',
      id: expect.any(Number),
      fireAt: '2026-01-01T01:00:02.000Z',
      canceled: false,
    });
  });

  it('fails the step at once with the throttle code when the service asks for more than the budget', async () => {
    const sim = await throttledOnce(7 * 3600);
    expect(sim.scheduled.filter((s) => s.kind === 'timer')).toEqual([]);
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.publishEvents.name]);
    await sim.complete(Activity.publishEvents.name, { ok: true, value: { published: 1 } }).episode();
    const state = await sim.complete(Activity.writeSummary.name, { ok: true, value: null }).episode();

    expect(viewOf(state).status).toBe('Failed');
    expect(viewOf(state).error).toEqual({
      step: 'validate',
      code: 'STORAGE.THROTTLED',
      message: `${MESSAGE}; waiting another 25200 s would pass the 21600 s a step waits out throttles (waited 0 s): run it again later`,
      details: {
        status: 429,
        serviceCode: 'ServerBusy',
        operation: 'GET blob',
        retryAfterSeconds: 25200,
        waitedSeconds: 0,
      },
    });
  });

  it('fails with the throttle code once the waits of one call add up to the budget', async () => {
    const sim = new DurableSim(handler, RUN_ID, input);
    await sim.start();
    const waits = THROTTLE_LIMITS.maxTotalWaitSeconds / 3600;
    for (let i = 0; i < waits; i++) {
      await sim.complete(Activity.validate.name, throttled(3600)).episode();
      await sim.fireTimer().episode();
    }
    await sim.complete(Activity.validate.name, throttled(3600)).episode();
    await sim.complete(Activity.publishEvents.name, { ok: true, value: { published: 1 } }).episode();
    const state = await sim.complete(Activity.writeSummary.name, { ok: true, value: null }).episode();

    expect(sim.activityNames().filter((n) => n === Activity.validate.name)).toHaveLength(7);
    expect(viewOf(state).error).toMatchObject({
      step: 'validate',
      code: 'STORAGE.THROTTLED',
      message: `${MESSAGE}; waiting another 3600 s would pass the 21600 s a step waits out throttles (waited 21600 s): run it again later`,
    });
  });

  it('ends Canceled when CancelRequested arrives during the wait: the timer is cancelled, the activity not called again', async () => {
    const sim = await throttledOnce(120);
    await sim.raise(ExternalEvent.cancelRequested).episode();
    await sim.complete(Activity.publishEvents.name, { ok: true, value: { published: 1 } }).episode();
    const state = await sim.complete(Activity.writeSummary.name, { ok: true, value: null }).episode();

    expect(viewOf(state).status).toBe('Canceled');
    expect(sim.activityNames()).toEqual([
      Activity.validate.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    expect(liveTimers(sim)).toEqual([]);
    expect(state.isDone).toBe(true);
  });

  it('does not wait on a throttle short enough for the activity retries (it fails as it came)', async () => {
    const sim = await throttledOnce(20);
    expect(sim.scheduled.filter((s) => s.kind === 'timer')).toEqual([]);
    await sim.complete(Activity.publishEvents.name, { ok: true, value: { published: 1 } }).episode();
    const state = await sim.complete(Activity.writeSummary.name, { ok: true, value: null }).episode();
    expect(viewOf(state).error).toMatchObject({
      step: 'validate',
      code: 'STORAGE.THROTTLED',
      message: MESSAGE,
    });
  });
});
