// The fine-tune orchestration through durable-functions' own replay: the handler that
// df.app.orchestration registers (captured from the @azure/functions registration call, a no-op in
// test mode), fed histories the way the Durable extension builds them. Tests assert WHICH work
// gets scheduled and the run view the orchestration publishes and returns.
import * as azf from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRunIndexActivities } from '../../src/activities/runIndex.js';
import { createRunIndexClient, TableRunIndex } from '../../src/adapters/runIndex.js';
import type { RunView } from '../../src/domain/runView.js';
import { ExternalEvent, FunctionName } from '../../src/names.js';
import { Activity, ClientActivity } from '../../src/orchestration/contract.js';
import { deployTiming } from '../../src/orchestration/fineTuneRun.js';
import type { FineTuneInput } from '../../src/orchestration/contract.js';
import { DurableSim, type OrchestratorState } from './durableSim.js';
import { startAzuriteTable, type AzuriteTable } from '../support/azurite.js';

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
  registeredNames = [...registered.keys()];
  vi.restoreAllMocks();
});

let registeredNames: string[] = [];

it('registers the orchestration and every activity it schedules', () => {
  expect(registeredNames.sort()).toEqual(
    [
      FunctionName.fineTuneOrchestrator,
      FunctionName.lineOrchestrator,
      ...Object.values(Activity).map((a) => a.name),
      ...Object.values(ClientActivity).map((a) => a.name),
    ].sort(),
  );
});

const RUN_ID = 'ft-0123456789abcdef0123';
const HASH = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC' };

function input(settings: Partial<FineTuneInput['settings']> = {}): FineTuneInput {
  return {
    runId: RUN_ID,
    hash: HASH,
    dataset,
    overrides: { num_train_epochs: 1 },
    settings: { jobPollIntervalSeconds: 600, jobDeadlineSeconds: 3600, ...settings },
  };
}

const ok = <T>(value: T) => ({ ok: true, value });
const fail = (code: string, message: string, details?: unknown) => ({
  ok: false,
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

const results = {
  validate: ok({
    format: 'jsonl',
    rows: 100,
    validRows: 100,
    warnings: 0,
    reportPath: `runs/${RUN_ID}/report.json`,
  }),
  prepare: ok({
    trainPath: `runs/${RUN_ID}/train.jsonl`,
    testPath: `runs/${RUN_ID}/test.jsonl`,
    trainRows: 95,
    testRows: 5,
  }),
  resolveModel: ok({
    model: {
      name: 'Phi-3-mini-4k-instruct',
      version: '7',
      id: 'azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/7',
      source: 'registry',
    },
    component: {
      id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
      name: 'chat_completion_pipeline',
      version: '0.0.78',
      inputs: { apply_lora: { type: 'string', enum: ['true', 'false'] } },
    },
    finetuneAllowList: ['Standard_NC24rs_v3'],
    inferenceAllowList: ['Standard_NC6s_v3'],
    modelSpecificDefaults: { apply_lora: 'true' },
    notes: [],
  }),
  checkCompute: ok({ computeName: 'gpu-cluster', vmSize: 'Standard_NC24rs_v3', gpusPerNode: 4, nodes: 1 }),
  submit: ok({ jobName: RUN_ID, displayName: 'Phi-3-mini-4k-instruct-ultrachat-bs4', created: true }),
  metrics: ok({ 'finetune/eval_loss': 0.42, 'finetune/train_loss': 0.5 }),
  register: ok({
    name: 'Phi-3-mini-4k-instruct-ft',
    version: '1',
    id: '/subscriptions/s/models/m/versions/1',
  }),
  startEndpoint: ok({ provisioningState: 'Succeeded', created: true }),
  startDeployment: ok({ deploymentName: 'demo', provisioningState: 'Succeeded', created: true }),
  setTraffic: ok({ name: 'ft-0123456789ab-xxxx', scoringUri: 'https://127.0.0.1/score/ft' }),
  smokeTest: ok({ input: [{ role: 'user', content: 'hi' }], answer: 'hello' }),
};

const PRE_TRAIN = [
  Activity.validate.name,
  Activity.prepare.name,
  Activity.resolveModel.name,
  Activity.checkCompute.name,
  Activity.submit.name,
] as const;

/** Starts a run and answers every step up to and including submit. */
async function untilTraining(
  settings: Partial<FineTuneInput['settings']> = {},
  answers: { submit?: unknown } = {},
): Promise<DurableSim> {
  const sim = new DurableSim(handler, RUN_ID, input(settings));
  await sim.start();
  await sim.complete(Activity.validate.name, results.validate).episode();
  await sim.complete(Activity.prepare.name, results.prepare).episode();
  await sim.complete(Activity.resolveModel.name, results.resolveModel).episode();
  await sim.complete(Activity.checkCompute.name, results.checkCompute).episode();
  await sim.complete(Activity.submit.name, answers.submit ?? results.submit).episode();
  return sim;
}

/**
 * The job ends: JobFinished arrives, and the one job read it triggers confirms the status (an
 * event alone never decides: it could be a child step run's).
 */
async function jobEnds(sim: DurableSim, status: 'Completed' | 'Failed' | 'Canceled'): Promise<void> {
  await sim.raise(ExternalEvent.jobFinished, { status }).episode();
  await sim.complete(Activity.getJob.name, ok({ status })).episode();
}

/** deploy when everything is already provisioned (e.g. a replayed run): no waiting. */
const DEPLOY_AT_ONCE = [
  Activity.startEndpoint.name,
  Activity.startDeployment.name,
  Activity.setTraffic.name,
] as const;

async function deployAtOnce(sim: DurableSim): Promise<void> {
  await sim.complete(Activity.startEndpoint.name, results.startEndpoint).episode();
  await sim.complete(Activity.startDeployment.name, results.startDeployment).episode();
  await sim.complete(Activity.setTraffic.name, results.setTraffic).episode();
}

/** Answers metrics .. smokeTest with the happy results (gate none). */
async function afterTraining(sim: DurableSim): Promise<void> {
  await sim.complete(Activity.metrics.name, results.metrics).episode();
  await sim.complete(Activity.register.name, results.register).episode();
  await deployAtOnce(sim);
  await sim.complete(Activity.smokeTest.name, results.smokeTest).episode();
}

/** The endpoint name the run chose (from the startEndpoint it scheduled). */
function endpointNameOf(sim: DurableSim): string {
  const start = sim.scheduled.find((s) => s.kind === 'activity' && s.name === Activity.startEndpoint.name);
  return (start as { input: { endpointName: string } } | undefined)?.input.endpointName ?? '';
}

/** The run's end: its lifecycle event is published, then its summary written. */
async function summarize(sim: DurableSim): Promise<OrchestratorState> {
  await sim.complete(Activity.publishEvents.name, ok({ published: 1 })).episode();
  const state = await sim.complete(Activity.writeSummary.name, ok(null)).episode();
  expect(state.isDone).toBe(true);
  return state;
}

const viewOf = (state: OrchestratorState): RunView => state.output as RunView;
const stepStatuses = (view: RunView): Record<string, string> =>
  Object.fromEntries(view.steps.map((s) => [s.id, s.status]));

describe('fineTuneOrchestrator', () => {
  it('runs every step in order on the happy path and returns the Succeeded view', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames()).toEqual([
      ...PRE_TRAIN,
      Activity.getJob.name,
      Activity.metrics.name,
      Activity.register.name,
      ...DEPLOY_AT_ONCE,
      Activity.smokeTest.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    expect(view.status).toBe('Succeeded');
    expect(view.jobName).toBe(RUN_ID);
    expect(view.model).toEqual({
      ...results.register.value,
      base: { name: 'Phi-3-mini-4k-instruct', version: '7' },
    });
    expect(view.endpoint).toEqual(results.setTraffic.value);
    expect(view.metrics).toEqual(results.metrics.value);
    expect(view.smokeTest).toEqual(results.smokeTest.value);
    expect(view.error).toBeUndefined();
    expect(stepStatuses(view)).toEqual({
      validate: 'succeeded',
      prepare: 'succeeded',
      resolveModel: 'succeeded',
      checkCompute: 'succeeded',
      submit: 'succeeded',
      train: 'succeeded',
      metrics: 'succeeded',
      gate: 'skipped',
      register: 'succeeded',
      deploy: 'succeeded',
      smokeTest: 'succeeded',
      cleanup: 'skipped',
    });
  });

  it('records the pinned component, the base model and the notes of resolveModel and checkCompute', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    await sim.complete(Activity.validate.name, results.validate).episode();
    await sim.complete(Activity.prepare.name, results.prepare).episode();
    const lifecycle = { finetuneDeprecationDate: '2026-01-01', finetuneRetirementDate: '2027-01-01' };
    const note = {
      code: 'MODEL.FINETUNE_DEPRECATED',
      message: 'model m version 7 is deprecated for fine-tuning',
    };
    await sim
      .complete(Activity.resolveModel.name, ok({ ...results.resolveModel.value, lifecycle, notes: [note] }))
      .episode();
    const quotaNote = { code: 'COMPUTE.QUOTA_NOT_CHECKED', message: 'no usage row matched' };
    await sim
      .complete(Activity.checkCompute.name, ok({ ...results.checkCompute.value, notes: [quotaNote] }))
      .episode();
    const view = sim.state?.customStatus as RunView;

    expect(
      sim.scheduled.find((s) => s.kind === 'activity' && s.name === Activity.resolveModel.name),
    ).toMatchObject({
      input: { overrides: { num_train_epochs: 1 } },
    });
    expect(view.component).toEqual({
      id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
      version: '0.0.78',
    });
    expect(view.model).toEqual({ base: { name: 'Phi-3-mini-4k-instruct', version: '7', lifecycle } });
    expect(view.notes).toEqual([
      { step: 'resolveModel', ...note },
      { step: 'checkCompute', ...quotaNote },
    ]);
  });

  it('passes each activity what the earlier steps produced', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const inputs = Object.fromEntries(
      sim.scheduled.flatMap((s) => (s.kind === 'activity' ? [[s.name, s.input]] : [])),
    ) as Record<string, Record<string, unknown>>;

    expect(inputs[Activity.validate.name]).toEqual({ runId: RUN_ID, dataset });
    expect(inputs[Activity.checkCompute.name]).toEqual({
      overrides: { num_train_epochs: 1 },
      modelSpecificDefaults: { apply_lora: 'true' },
      finetuneAllowList: ['Standard_NC24rs_v3'],
    });
    expect(inputs[Activity.submit.name]).toEqual({
      runId: RUN_ID,
      overrides: { num_train_epochs: 1 },
      model: results.resolveModel.value,
      compute: results.checkCompute.value,
      trainPath: `runs/${RUN_ID}/train.jsonl`,
      testPath: `runs/${RUN_ID}/test.jsonl`,
    });
    expect(inputs[Activity.register.name]).toEqual({ runId: RUN_ID, jobName: RUN_ID });
    const endpointName = endpointNameOf(sim);
    // ft- + 12 hex of the run hash + 4 hex from a replay-safe guid
    expect(endpointName).toMatch(/^ft-0123456789ab-[0-9a-f]{4}$/);
    expect(inputs[Activity.startEndpoint.name]).toEqual({
      runId: RUN_ID,
      endpointName,
      inferenceAllowList: ['Standard_NC6s_v3'],
    });
    expect(inputs[Activity.startDeployment.name]).toEqual({
      runId: RUN_ID,
      endpointName,
      modelId: results.register.value.id,
    });
    expect(inputs[Activity.setTraffic.name]).toEqual({ runId: RUN_ID, endpointName });
    expect(inputs[Activity.smokeTest.name]).toEqual({
      runId: RUN_ID,
      endpointName: results.setTraffic.value.name,
      scoringUri: results.setTraffic.value.scoringUri,
      testPath: `runs/${RUN_ID}/test.jsonl`,
    });
  });

  it('publishes the run view as customStatus after each step', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    const first = await sim.start();
    expect((first.customStatus as RunView).step).toBe('validate');
    expect(stepStatuses(first.customStatus as RunView).validate).toBe('running');
    const second = await sim.complete(Activity.validate.name, results.validate).episode();
    const view = second.customStatus as RunView;
    expect(view.status).toBe('Running');
    expect(view.step).toBe('prepare');
    expect(view.steps[0]).toEqual({
      id: 'validate',
      status: 'succeeded',
      startedAt: '2026-01-01T00:00:01.000Z',
      endedAt: '2026-01-01T00:00:02.000Z',
      detail: '100 of 100 rows valid (jsonl); 0 warnings',
    });
  });

  it('logs each transition once, with the run id, and nothing while replaying', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    expect(sim.logs).toEqual([`run ${RUN_ID}: validate started`]);
    await sim.complete(Activity.validate.name, results.validate).episode();
    expect(sim.logs).toEqual([
      `run ${RUN_ID}: validate succeeded: 100 of 100 rows valid (jsonl); 0 warnings`,
      `run ${RUN_ID}: prepare started`,
    ]);
  });

  it('schedules every activity with the transient-fault retry policy', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    const state = await sim.start();
    // the run index's write comes first (it is not raced with cancel), then validate's race
    const [indexed, action] = state.actions[0] ?? [];
    expect(indexed).toMatchObject({
      actionType: 1,
      functionName: Activity.indexRun.name,
      retryOptions: { firstRetryIntervalInMilliseconds: 5000, maxNumberOfAttempts: 5, backoffCoefficient: 2 },
    });
    expect(action?.compoundActions?.[0]).toMatchObject({
      actionType: 1, // CallActivityWithRetry
      functionName: Activity.validate.name,
      retryOptions: { firstRetryIntervalInMilliseconds: 5000, maxNumberOfAttempts: 5, backoffCoefficient: 2 },
    });
  });

  it("publishes the run's event (run.succeeded for runs/<runId>) once the status is final, before the summary", async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const publish = sim.pendingActivities().find((p) => p.name === Activity.publishEvents.name);
    const events = (publish?.input as { events: { type: string; subject: string; data: RunView }[] }).events;
    expect(events.map((e) => [e.type, e.subject, e.data.status])).toEqual([
      ['finetune-autopilot.run.succeeded', `runs/${RUN_ID}`, 'Succeeded'],
    ]);
  });

  it('still writes the summary and ends Succeeded when publishing fails on every retry', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await sim.fail(Activity.publishEvents.name, 'topic answered 503').episode();
      await sim.fireTimer().episode();
    }
    const state = await sim.complete(Activity.writeSummary.name, ok(null)).episode();
    expect([state.isDone, viewOf(state).status, viewOf(state).error]).toEqual([true, 'Succeeded', undefined]);
  });

  it('ends Failed at validate with the report errors and submits no job when the dataset is invalid', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    const details = [{ line: 3, code: 'DATASET.INVALID_ROLE', message: "line 3: message 1 has role 'bot'" }];
    await sim
      .complete(Activity.validate.name, fail('DATASET.INVALID', 'dataset has 1 invalid row', details))
      .episode();
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames()).toEqual([
      Activity.validate.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    expect(view.status).toBe('Failed');
    expect(view.error).toEqual({
      step: 'validate',
      code: 'DATASET.INVALID',
      message: 'dataset has 1 invalid row',
      details,
    });
    expect(stepStatuses(view)).toMatchObject({ validate: 'failed', prepare: 'skipped', submit: 'skipped' });
  });

  it('ends Failed at validate, running nothing, when the dataset came with rejected overrides', async () => {
    const rejectedOverrides = {
      code: 'FINETUNE.INVALID_OVERRIDES',
      message:
        'incoming/chat/finetune.json: fine-tune overrides have 1 problem: lora_rank: not a fine-tune parameter',
      details: [
        {
          parameter: 'lora_rank',
          code: 'FINETUNE.UNKNOWN_PARAMETER',
          message: 'lora_rank: not a fine-tune parameter',
        },
      ],
    };
    const sim = new DurableSim(handler, RUN_ID, { ...input(), rejectedOverrides });
    await sim.start();
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames()).toEqual([Activity.publishEvents.name, Activity.writeSummary.name]);
    expect(view.status).toBe('Failed');
    expect(view.error).toEqual({ step: 'validate', ...rejectedOverrides });
    expect(stepStatuses(view)).toMatchObject({ validate: 'failed', prepare: 'skipped', submit: 'skipped' });
  });

  for (const [name, code] of [
    ['compute is invalid', 'COMPUTE.VM_SIZE_NOT_ALLOWED'],
    ['quota is short', 'COMPUTE.QUOTA_EXCEEDED'],
  ] as const) {
    it(`ends Failed at checkCompute and submits nothing when the ${name}`, async () => {
      const sim = new DurableSim(handler, RUN_ID, input());
      await sim.start();
      await sim.complete(Activity.validate.name, results.validate).episode();
      await sim.complete(Activity.prepare.name, results.prepare).episode();
      await sim.complete(Activity.resolveModel.name, results.resolveModel).episode();
      await sim.complete(Activity.checkCompute.name, fail(code, `compute rule ${code}`)).episode();
      const view = viewOf(await summarize(sim));

      expect(sim.activityNames()).toEqual([
        ...PRE_TRAIN.slice(0, 4),
        Activity.publishEvents.name,
        Activity.writeSummary.name,
      ]);
      expect(view.status).toBe('Failed');
      expect(view.error).toEqual({ step: 'checkCompute', code, message: `compute rule ${code}` });
    });
  }

  it('when submit fails, still asks to cancel the job named after the run (a half-done submit may have made it)', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    await sim.complete(Activity.validate.name, results.validate).episode();
    await sim.complete(Activity.prepare.name, results.prepare).episode();
    await sim.complete(Activity.resolveModel.name, results.resolveModel).episode();
    await sim.complete(Activity.checkCompute.name, results.checkCompute).episode();
    await sim.complete(Activity.submit.name, fail('FINETUNE.INVALID_OVERRIDES', 'bad overrides')).episode();
    expect(sim.pendingActivities().map((p) => [p.name, p.input])).toEqual([
      [Activity.cancelJob.name, { jobName: RUN_ID }],
    ]);
    await sim.complete(Activity.cancelJob.name, ok({ canceled: false })).episode();
    const view = viewOf(await summarize(sim));
    expect(view.error).toEqual({
      step: 'submit',
      code: 'FINETUNE.INVALID_OVERRIDES',
      message: 'bad overrides',
    });
    expect(stepStatuses(view)).toMatchObject({ submit: 'failed', train: 'skipped', cleanup: 'skipped' });
  });

  it('waits in train for JobFinished, CancelRequested or a backstop timer', async () => {
    const sim = await untilTraining({ jobPollIntervalSeconds: 600 });
    // the last round scheduled: both event waits and one backstop timer (train started at 00:00:06)
    expect(sim.scheduled.slice(-3)).toEqual([
      { kind: 'wait', event: ExternalEvent.jobFinished },
      { kind: 'wait', event: ExternalEvent.cancelRequested },
      { kind: 'timer', id: expect.any(Number), fireAt: '2026-01-01T00:10:06.000Z', canceled: false },
    ]);
    expect(sim.pendingActivities()).toEqual([]);
    expect((sim.state?.customStatus as RunView).step).toBe('train');
  });

  for (const status of ['Failed', 'Canceled'] as const) {
    it(`ends Failed at train when the job ends ${status}, without deploying`, async () => {
      const sim = await untilTraining();
      await jobEnds(sim, status);
      const view = viewOf(await summarize(sim));

      expect(sim.activityNames()).toEqual([
        ...PRE_TRAIN,
        Activity.getJob.name,
        Activity.publishEvents.name,
        Activity.writeSummary.name,
      ]);
      expect(view.status).toBe('Failed');
      expect(view.error).toEqual({
        step: 'train',
        code: status === 'Failed' ? 'JOB.FAILED' : 'JOB.CANCELED',
        message: `job ${RUN_ID} ended ${status}`,
      });
      expect(sim.pendingTimers().every((t) => t.timerAction?.isCanceled === true)).toBe(true);
    });
  }

  it("names the job's studio page, where its logs are, when the job fails", async () => {
    const studioUrl = `https://ml.azure.com/runs/${RUN_ID}?wsid=/subscriptions/s`;
    const sim = await untilTraining({}, { submit: ok({ ...results.submit.value, studioUrl }) });
    await jobEnds(sim, 'Failed');
    const view = viewOf(await summarize(sim));
    expect(view.error).toEqual({
      step: 'train',
      code: 'JOB.FAILED',
      message: `job ${RUN_ID} ended Failed; its logs and outputs: ${studioUrl}`,
    });
  });

  it('polls the job when the backstop timer fires and finishes when the poll finds Completed (event lost)', async () => {
    const sim = await untilTraining({ jobPollIntervalSeconds: 600 });
    await sim.fireTimer().episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
    await sim.complete(Activity.getJob.name, ok({ status: 'Running' })).episode();
    // still running: a new round of the race
    expect(sim.pendingTimers().filter((t) => t.timerAction?.isCanceled !== true)).toHaveLength(1);
    await sim.fireTimer().episode();
    await sim.complete(Activity.getJob.name, ok({ status: 'Completed' })).episode();
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames().filter((n) => n === Activity.getJob.name)).toHaveLength(2);
    expect(view.status).toBe('Succeeded');
  });

  it('cancels the job and fails the run when the deadline passes first', async () => {
    const sim = await untilTraining({ jobPollIntervalSeconds: 600, jobDeadlineSeconds: 900 });
    await sim.fireTimer().episode(); // +600 s: poll
    await sim.complete(Activity.getJob.name, ok({ status: 'Running' })).episode();
    const timers = sim.scheduled.filter((s) => s.kind === 'timer');
    // the second round's timer is capped at the deadline (train started at 00:00:06)
    expect(timers.at(-1)).toMatchObject({ fireAt: '2026-01-01T00:15:06.000Z' });
    await sim.fireTimer().episode(); // the deadline
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.cancelJob.name]);
    expect(sim.pendingActivities()[0]?.input).toEqual({ jobName: RUN_ID });
    await sim.complete(Activity.cancelJob.name, ok(null)).episode();
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Failed');
    expect(view.error).toEqual({
      step: 'train',
      code: 'JOB.DEADLINE_EXCEEDED',
      message: `job ${RUN_ID} did not finish within 900 s; it was cancelled`,
    });
    expect(sim.activityNames()).not.toContain(Activity.metrics.name);
  });

  it('cancels the job and ends Canceled when CancelRequested arrives during train', async () => {
    const sim = await untilTraining();
    await sim.raise(ExternalEvent.cancelRequested).episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.cancelJob.name]);
    await sim.complete(Activity.cancelJob.name, ok(null)).episode();
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Canceled');
    expect(view.error).toBeUndefined();
    expect(view.steps.find((s) => s.id === 'train')).toMatchObject({ status: 'skipped', detail: 'canceled' });
    expect(sim.activityNames()).toEqual([
      ...PRE_TRAIN,
      Activity.cancelJob.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    // the backstop timer lost the race and was cancelled so the instance can complete
    expect(
      sim.scheduled.filter((s) => s.kind === 'timer').every((t) => t.kind === 'timer' && t.canceled),
    ).toBe(true);
  });

  it('honours CancelRequested between steps: the running activity finishes, the next never starts', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    await sim.raise(ExternalEvent.cancelRequested).episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.validate.name]);
    await sim.complete(Activity.validate.name, results.validate).episode();
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames()).toEqual([
      Activity.validate.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    expect(view.status).toBe('Canceled');
  });

  it('cancelled while deploy starts the endpoint: lets that activity finish, deletes the endpoint, ends Canceled', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await sim.complete(Activity.metrics.name, results.metrics).episode();
    await sim.complete(Activity.register.name, results.register).episode();
    await sim.raise(ExternalEvent.cancelRequested).episode();
    await sim
      .complete(Activity.startEndpoint.name, ok({ provisioningState: 'Creating', created: true }))
      .episode();
    const endpointName = endpointNameOf(sim);
    expect(sim.pendingActivities().map((p) => [p.name, p.input])).toEqual([
      [Activity.cleanup.name, { runId: RUN_ID, endpointName }],
    ]);
    await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Canceled');
    expect(sim.activityNames()).not.toContain(Activity.smokeTest.name);
    expect(sim.activityNames()).not.toContain(Activity.startDeployment.name);
    expect(view.steps.find((s) => s.id === 'cleanup')).toMatchObject({
      status: 'succeeded',
      detail: `deleted endpoint ${endpointName}`,
    });
  });

  it('ends NotDeployed when the gate fails: registers the model, deploys nothing', async () => {
    const sim = await untilTraining({ gate: { metric: 'eval_loss', max: 0.3 } });
    await jobEnds(sim, 'Completed');
    await sim.complete(Activity.metrics.name, results.metrics).episode();
    await sim.complete(Activity.register.name, results.register).episode();
    const view = viewOf(await summarize(sim));

    expect(sim.activityNames()).toEqual([
      ...PRE_TRAIN,
      Activity.getJob.name,
      Activity.metrics.name,
      Activity.register.name,
      Activity.publishEvents.name,
      Activity.writeSummary.name,
    ]);
    expect(view.status).toBe('NotDeployed');
    expect(view.model).toEqual({
      ...results.register.value,
      base: { name: 'Phi-3-mini-4k-instruct', version: '7' },
    });
    expect(view.endpoint).toBeUndefined();
    expect(stepStatuses(view)).toMatchObject({ gate: 'succeeded', deploy: 'skipped', smokeTest: 'skipped' });
  });

  it('deploys when the gate passes', async () => {
    const sim = await untilTraining({ gate: { metric: 'eval_loss', max: 0.5 } });
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));
    expect(view.status).toBe('Succeeded');
    expect(stepStatuses(view).gate).toBe('succeeded');
  });

  it('deletes the endpoint when deploy fails and names the step, code and message', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await sim.complete(Activity.metrics.name, results.metrics).episode();
    await sim.complete(Activity.register.name, results.register).episode();
    await sim.complete(Activity.startEndpoint.name, results.startEndpoint).episode();
    await sim
      .complete(Activity.startDeployment.name, fail('DEPLOY.FAILED', 'deployment demo failed: OOM'))
      .episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.cleanup.name]);
    await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Failed');
    expect(view.error).toEqual({
      step: 'deploy',
      code: 'DEPLOY.FAILED',
      message: 'deployment demo failed: OOM',
    });
    expect(stepStatuses(view)).toMatchObject({
      deploy: 'failed',
      smokeTest: 'skipped',
      cleanup: 'succeeded',
    });
    expect(sim.activityNames()).not.toContain(Activity.cancelJob.name);
  });

  it('deletes the endpoint when the smoke test fails', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await sim.complete(Activity.metrics.name, results.metrics).episode();
    await sim.complete(Activity.register.name, results.register).episode();
    await deployAtOnce(sim);
    await sim.complete(Activity.smokeTest.name, fail('SCORING.FAILED', 'endpoint answered 500')).episode();
    await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
    const view = viewOf(await summarize(sim));
    expect(view.error).toEqual({
      step: 'smokeTest',
      code: 'SCORING.FAILED',
      message: 'endpoint answered 500',
    });
  });

  it('reports a transient fault that outlasts the retries without its stack trace', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await sim.complete(Activity.metrics.name, results.metrics).episode();
    for (let attempt = 1; attempt <= 5; attempt++) {
      await sim.fail(Activity.register.name, 'ARM answered 503').episode();
      await sim.fireTimer().episode();
    }
    const view = viewOf(await summarize(sim));
    expect(view.error).toEqual({
      step: 'register',
      code: 'RUN.ACTIVITY_FAILED',
      message: 'ARM answered 503',
    });
    expect(JSON.stringify(view)).not.toContain('activities.js');
  });

  it('succeeds after a transient fault that a retry cures', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    await sim.fail(Activity.validate.name, 'socket hang up').episode();
    await sim.fireTimer().episode();
    await sim.complete(Activity.validate.name, results.validate).episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.prepare.name]);
  });

  it('ignores duplicate JobFinished events: one job read, one metrics step', async () => {
    const sim = await untilTraining();
    await sim
      .raise(ExternalEvent.jobFinished, { status: 'Completed' })
      .raise(ExternalEvent.jobFinished, { status: 'Completed' })
      .episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
    await sim.complete(Activity.getJob.name, ok({ status: 'Completed' })).episode();
    await sim.raise(ExternalEvent.jobFinished, { status: 'Completed' }).episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.metrics.name]);
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Succeeded');
    expect(sim.activityNames().filter((n) => n === Activity.metrics.name)).toHaveLength(1);
    expect(sim.activityNames().filter((n) => n === Activity.getJob.name)).toHaveLength(1);
  });

  it('keeps waiting when the job read after a JobFinished says it still runs (a stray or child step event)', async () => {
    const sim = await untilTraining();
    // the event claims Completed, but the job itself is still running: training goes on
    await sim.raise(ExternalEvent.jobFinished, { status: 'Completed' }).episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
    await sim.complete(Activity.getJob.name, ok({ status: 'Running' })).episode();
    expect(sim.pendingActivities()).toEqual([]);
    expect(sim.scheduled.filter((s) => s.kind === 'timer')).toHaveLength(2);
    expect((sim.state?.customStatus as RunView).step).toBe('train');
    await jobEnds(sim, 'Completed');
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.metrics.name]);
  });

  it('keeps waiting on a JobFinished with a non-terminal status once the job read agrees', async () => {
    const sim = await untilTraining();
    await sim.raise(ExternalEvent.jobFinished, { status: 'Running' }).episode();
    await sim.complete(Activity.getJob.name, ok({ status: 'Running' })).episode();
    expect(sim.pendingActivities()).toEqual([]);
    expect(sim.scheduled.filter((s) => s.kind === 'timer')).toHaveLength(2);
    await jobEnds(sim, 'Completed');
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.metrics.name]);
  });

  describe('deploy waits for provisioning on durable timers', () => {
    it('polls as often as the job backstop, at most every 30 s, for 90 min unless the input says otherwise', () => {
      const base = { jobPollIntervalSeconds: 5, jobDeadlineSeconds: 3600 };
      expect(deployTiming(base)).toEqual({ pollSeconds: 5, deadlineSeconds: 5400 });
      expect(deployTiming({ ...base, jobPollIntervalSeconds: 600 })).toEqual({
        pollSeconds: 30,
        deadlineSeconds: 5400,
      });
      expect(deployTiming({ ...base, deployPollIntervalSeconds: 45, deployDeadlineSeconds: 600 })).toEqual({
        pollSeconds: 45,
        deadlineSeconds: 600,
      });
    });

    /** Runs a trained run up to deploy (register answered). */
    async function untilDeploy(settings: Partial<FineTuneInput['settings']> = {}): Promise<DurableSim> {
      const sim = await untilTraining(settings);
      await jobEnds(sim, 'Completed');
      await sim.complete(Activity.metrics.name, results.metrics).episode();
      await sim.complete(Activity.register.name, results.register).episode();
      return sim;
    }
    const creating = ok({ provisioningState: 'Creating', created: true });
    const state = (endpoint: string, deployment?: string) =>
      ok({ endpoint, ...(deployment === undefined ? {} : { deployment }) });
    /** Activities and timers scheduled from the first deploy activity on, as `name` / `timer <fireAt>`. */
    const liveTimers = (sim: DurableSim) =>
      sim.pendingTimers().filter((t) => t.timerAction?.isCanceled !== true);
    const deploySchedule = (sim: DurableSim): string[] => {
      const from = sim.scheduled.findIndex(
        (s) => s.kind === 'activity' && s.name === Activity.startEndpoint.name,
      );
      return sim.scheduled
        .slice(from)
        .flatMap((s) => (s.kind === 'activity' ? [s.name] : s.kind === 'timer' ? [`timer ${s.fireAt}`] : []));
    };

    it('polls the endpoint, then the deployment, every interval until both Succeeded, then sets traffic', async () => {
      const sim = await untilDeploy({ jobPollIntervalSeconds: 600 }); // deploy polls every 30 s
      const deployStartedAt = Date.parse(sim.now);
      await sim.complete(Activity.startEndpoint.name, creating).episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Creating')).episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Succeeded')).episode();
      await sim
        .complete(Activity.startDeployment.name, {
          ok: true,
          value: { deploymentName: 'demo', provisioningState: 'Creating', created: true },
        })
        .episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Succeeded', 'Creating')).episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Succeeded', 'Succeeded')).episode();
      await sim.complete(Activity.setTraffic.name, results.setTraffic).episode();
      await sim.complete(Activity.smokeTest.name, results.smokeTest).episode();
      const view = viewOf(await summarize(sim));

      // each timer is 30 s after the episode that set it (every episode advances the clock 1 s)
      const at = (seconds: number) => `timer ${new Date(deployStartedAt + seconds * 1000).toISOString()}`;
      expect(deploySchedule(sim)).toEqual([
        Activity.startEndpoint.name,
        at(31),
        Activity.getDeploymentState.name,
        at(63),
        Activity.getDeploymentState.name,
        Activity.startDeployment.name,
        at(96),
        Activity.getDeploymentState.name,
        at(128),
        Activity.getDeploymentState.name,
        Activity.setTraffic.name,
        Activity.smokeTest.name,
        Activity.publishEvents.name,
        Activity.writeSummary.name,
      ]);
      expect(liveTimers(sim)).toEqual([]);
      expect(view.status).toBe('Succeeded');
      expect(view.endpoint).toEqual(results.setTraffic.value);
      expect(view.steps.find((s) => s.id === 'deploy')).toMatchObject({
        status: 'succeeded',
        detail: `${results.setTraffic.value.name} serving, traffic 100%`,
      });
      expect(stepStatuses(view).cleanup).toBe('skipped');
    });

    it('shows deploy running while it waits', async () => {
      const sim = await untilDeploy();
      const waiting = await sim.complete(Activity.startEndpoint.name, creating).episode();
      const view = waiting.customStatus as RunView;
      expect(view.step).toBe('deploy');
      expect(stepStatuses(view).deploy).toBe('running');
      expect(sim.pendingActivities()).toEqual([]);
      expect(liveTimers(sim)).toHaveLength(1);
    });

    it('a deployment that ends Failed fails the run with its logs and deletes the endpoint', async () => {
      const sim = await untilDeploy();
      await sim.complete(Activity.startEndpoint.name, results.startEndpoint).episode();
      await sim
        .complete(Activity.startDeployment.name, {
          ok: true,
          value: { deploymentName: 'demo', provisioningState: 'Creating', created: true },
        })
        .episode();
      await sim.fireTimer().episode();
      const details = { provisioningState: 'Failed', logs: 'CUDA out of memory' };
      await sim
        .complete(
          Activity.getDeploymentState.name,
          fail(
            'DEPLOY.FAILED',
            'deployment ep/demo ended Failed: see the container logs in details',
            details,
          ),
        )
        .episode();
      const endpointName = endpointNameOf(sim);
      expect(sim.pendingActivities().map((p) => [p.name, p.input])).toEqual([
        [Activity.cleanup.name, { runId: RUN_ID, endpointName }],
      ]);
      await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
      const view = viewOf(await summarize(sim));

      expect(view.status).toBe('Failed');
      expect(view.error).toEqual({
        step: 'deploy',
        code: 'DEPLOY.FAILED',
        message: 'deployment ep/demo ended Failed: see the container logs in details',
        details,
      });
      expect(stepStatuses(view)).toMatchObject({
        deploy: 'failed',
        smokeTest: 'skipped',
        cleanup: 'succeeded',
      });
      expect(sim.activityNames()).not.toContain(Activity.setTraffic.name);
    });

    it('a deployment that disappears while polled fails the run and cleans up', async () => {
      const sim = await untilDeploy();
      await sim.complete(Activity.startEndpoint.name, results.startEndpoint).episode();
      await sim
        .complete(Activity.startDeployment.name, {
          ok: true,
          value: { deploymentName: 'demo', provisioningState: 'Creating', created: true },
        })
        .episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Succeeded')).episode();
      await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
      const view = viewOf(await summarize(sim));
      expect(view.error).toMatchObject({ step: 'deploy', code: 'DEPLOY.FAILED' });
      expect(view.error?.message).toContain('no longer exists');
    });

    it('fails DEPLOY.TIMEOUT at the deadline, polls no more and deletes the endpoint', async () => {
      const sim = await untilDeploy({ deployPollIntervalSeconds: 60, deployDeadlineSeconds: 90 });
      const deployStartedAt = Date.parse(sim.now);
      await sim.complete(Activity.startEndpoint.name, creating).episode();
      await sim.fireTimer().episode();
      await sim.complete(Activity.getDeploymentState.name, state('Creating')).episode();
      await sim.fireTimer().episode(); // capped at the deadline
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.cleanup.name]);
      await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
      const view = viewOf(await summarize(sim));

      const at = (seconds: number) => `timer ${new Date(deployStartedAt + seconds * 1000).toISOString()}`;
      expect(deploySchedule(sim)).toEqual([
        Activity.startEndpoint.name,
        at(61),
        Activity.getDeploymentState.name,
        at(90), // min(poll, deadline)
        Activity.cleanup.name,
        Activity.publishEvents.name,
        Activity.writeSummary.name,
      ]);
      expect(view.status).toBe('Failed');
      expect(view.error).toEqual({
        step: 'deploy',
        code: 'DEPLOY.TIMEOUT',
        message: `endpoint ${endpointNameOf(sim)} was not serving within 90 s; it is deleted`,
      });
      expect(stepStatuses(view)).toMatchObject({ deploy: 'failed', cleanup: 'succeeded' });
    });

    it('CancelRequested during the wait cancels the timer, deletes the endpoint and ends Canceled', async () => {
      const sim = await untilDeploy();
      await sim.complete(Activity.startEndpoint.name, results.startEndpoint).episode();
      await sim
        .complete(Activity.startDeployment.name, {
          ok: true,
          value: { deploymentName: 'demo', provisioningState: 'Creating', created: true },
        })
        .episode();
      expect(liveTimers(sim)).toHaveLength(1);
      await sim.raise(ExternalEvent.cancelRequested).episode();
      const endpointName = endpointNameOf(sim);
      expect(sim.pendingActivities().map((p) => [p.name, p.input])).toEqual([
        [Activity.cleanup.name, { runId: RUN_ID, endpointName }],
      ]);
      await sim.complete(Activity.cleanup.name, ok({ deleted: true })).episode();
      const view = viewOf(await summarize(sim));

      expect(view.status).toBe('Canceled');
      expect(view.error).toBeUndefined();
      expect(sim.activityNames()).not.toContain(Activity.getDeploymentState.name);
      expect(sim.activityNames()).not.toContain(Activity.cancelJob.name); // the job had finished
      // the poll timer lost the race and was cancelled so the instance can complete
      const deployTimers = sim.scheduled.filter((s) => s.kind === 'timer').slice(-1);
      expect(deployTimers).toEqual([expect.objectContaining({ canceled: true })]);
      expect(liveTimers(sim)).toEqual([]);
      expect(stepStatuses(view)).toMatchObject({ deploy: 'skipped', cleanup: 'succeeded' });
    });
  });

  describe('the event-vs-timer race (durable-js #577)', () => {
    it('event first, timer in the same batch: the event wins: one job read, then on', async () => {
      const sim = await untilTraining({ jobPollIntervalSeconds: 600 });
      sim.advance(600);
      await sim.raise(ExternalEvent.jobFinished, { status: 'Completed' }).fireTimer().episode();
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
      await sim.complete(Activity.getJob.name, ok({ status: 'Completed' })).episode();
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.metrics.name]);
      await afterTraining(sim);
      const view = viewOf(await summarize(sim));
      expect(view.status).toBe('Succeeded');
      expect(sim.activityNames().filter((n) => n === Activity.getJob.name)).toHaveLength(1);
    });

    it('timer first, event in the same batch: the poll runs and its answer decides', async () => {
      const sim = await untilTraining({ jobPollIntervalSeconds: 600 });
      await sim.fireTimer().raise(ExternalEvent.jobFinished, { status: 'Completed' }).episode();
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
      await sim.complete(Activity.getJob.name, ok({ status: 'Completed' })).episode();
      await afterTraining(sim);
      const view = viewOf(await summarize(sim));
      expect(view.status).toBe('Succeeded');
      expect(sim.activityNames().filter((n) => n === Activity.metrics.name)).toHaveLength(1);
    });

    it('event in a later episode than a fired timer: replays deterministically to the same actions', async () => {
      const sim = await untilTraining({ jobPollIntervalSeconds: 600 });
      await sim.fireTimer().episode();
      await sim.complete(Activity.getJob.name, ok({ status: 'Running' })).episode();
      await sim.raise(ExternalEvent.jobFinished, { status: 'Completed' }).episode();
      const before = structuredClone(sim.state?.actions);
      // replaying the same history again yields the same actions (no new work appears)
      await sim.episode();
      expect(sim.state?.actions).toEqual(before);
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.getJob.name]);
      await sim.complete(Activity.getJob.name, ok({ status: 'Completed' })).episode();
      expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.metrics.name]);
    });
  });
});

describe('fineTuneOrchestrator: the run index (GET /api/runs)', () => {
  type Indexed = { input: { view: RunView } };

  it('indexes the run when it starts, after every step and before its summary, the last time with its final view', async () => {
    const sim = await untilTraining();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));

    const indexed = sim.bookkeeping as Indexed[];
    expect(indexed.map((i) => [i.input.view.status, i.input.view.step])).toEqual([
      ['Running', 'validate'],
      ['Running', 'validate'],
      ['Running', 'prepare'],
      ['Running', 'resolveModel'],
      ['Running', 'checkCompute'],
      ['Running', 'submit'],
      ['Running', 'train'],
      ['Running', 'metrics'],
      ['Running', 'register'],
      ['Running', 'deploy'],
      ['Running', 'smokeTest'],
      ['Succeeded', 'smokeTest'],
    ]);
    // the first write is the fresh view: no step has started yet
    expect(indexed[0]?.input.view.steps.every((s) => s.status === 'pending')).toBe(true);
    expect(indexed.at(-1)?.input.view).toEqual(view);
    const summary = sim.scheduled.find((s) => s.kind === 'activity' && s.name === Activity.writeSummary.name);
    const summaryId = summary?.kind === 'activity' ? summary.id : -1;
    const lastIndexId = sim.bookkeeping.at(-1)?.id ?? Infinity;
    expect(lastIndexId).toBeLessThan(summaryId);
  });

  it('indexes a failed run with its error recorded, and once more before its summary', async () => {
    const sim = new DurableSim(handler, RUN_ID, input());
    await sim.start();
    await sim
      .complete(Activity.validate.name, fail('DATASET.INVALID', 'dataset has 1 invalid row'))
      .episode();
    const view = viewOf(await summarize(sim));

    const indexed = (sim.bookkeeping as Indexed[]).map((i) => i.input.view);
    expect(indexed.map((v) => [v.status, v.step, v.error?.code])).toEqual([
      ['Running', 'validate', undefined],
      ['Failed', 'validate', 'DATASET.INVALID'],
      ['Failed', 'validate', 'DATASET.INVALID'],
    ]);
    expect(indexed.at(-1)).toEqual(view);
  });

  it('indexes a canceled run as Canceled before its summary', async () => {
    const sim = await untilTraining();
    await sim.raise(ExternalEvent.cancelRequested, {}).episode();
    await sim.complete(Activity.cancelJob.name, ok({ canceled: true })).episode();
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Canceled');
    expect((sim.bookkeeping as Indexed[]).at(-1)?.input.view).toEqual(view);
  });

  it('goes on when the index cannot be written: five failed attempts, then the run continues unchanged', async () => {
    const sim = new DurableSim(handler, RUN_ID, input(), undefined, { autoComplete: {} });
    await sim.start();
    for (let attempt = 1; attempt <= 5; attempt++) {
      await sim.fail(Activity.indexRun.name, 'table service answered 503').episode();
      await sim.fireTimer().episode();
    }

    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.validate.name]);
    await sim.complete(Activity.validate.name, results.validate).episode();
    await sim
      .complete(Activity.indexRun.name, fail('STORAGE.FORBIDDEN', 'write run index row: 403'))
      .episode();
    expect(sim.pendingActivities().map((p) => p.name)).toEqual([Activity.prepare.name]);
    expect((sim.state?.customStatus as RunView).status).toBe('Running');
    expect((sim.state?.customStatus as RunView).error).toBeUndefined();
  });
});

describe('fineTuneOrchestrator: the run index, written by the real activity (Azurite tables)', () => {
  let azurite: AzuriteTable;
  let tables = 0;
  beforeAll(async () => {
    azurite = await startAzuriteTable();
  });
  afterAll(async () => {
    await azurite.close();
  });

  /** The real indexRun over a new table, and the index it writes, for the sim to call. */
  function realIndex(): { index: TableRunIndex; autoComplete: Record<string, unknown> } {
    const client = createRunIndexClient(
      { connectionString: azurite.connectionString, trainingContainer: 'training-data' },
      `replay${++tables}`,
    );
    const index = new TableRunIndex(() => client);
    const { indexRun } = createRunIndexActivities({
      ports: { runIndex: index },
      now: () => new Date('2026-01-01T00:00:00.500Z'),
    });
    return { index, autoComplete: { [Activity.indexRun.name]: indexRun } };
  }

  it('leaves a finished run (Succeeded) with its final status, step, end and model in the index', async () => {
    const { index, autoComplete } = realIndex();
    const sim = new DurableSim(handler, RUN_ID, input(), undefined, { autoComplete });
    await sim.start();
    await sim.complete(Activity.validate.name, results.validate).episode();
    await sim.complete(Activity.prepare.name, results.prepare).episode();
    await sim.complete(Activity.resolveModel.name, results.resolveModel).episode();
    await sim.complete(Activity.checkCompute.name, results.checkCompute).episode();
    await sim.complete(Activity.submit.name, results.submit).episode();
    await jobEnds(sim, 'Completed');
    await afterTraining(sim);
    const view = viewOf(await summarize(sim));

    expect(view.status).toBe('Succeeded');
    expect(await index.list({ top: 20 })).toEqual({
      runs: [
        {
          runId: RUN_ID,
          line: 'chat',
          dataset,
          status: 'Succeeded',
          step: 'smokeTest',
          startedAt: '2026-01-01T00:00:00.500Z',
          endedAt: view.steps.find((s) => s.id === 'smokeTest')?.endedAt,
          model: 'Phi-3-mini-4k-instruct-ft:1',
        },
      ],
    });
  });

  it('leaves a run that failed at validate as Failed in the index', async () => {
    const { index, autoComplete } = realIndex();
    const sim = new DurableSim(handler, RUN_ID, input(), undefined, { autoComplete });
    await sim.start();
    await sim
      .complete(Activity.validate.name, fail('DATASET.INVALID', 'dataset has 1 invalid row'))
      .episode();
    await summarize(sim);

    const { runs } = await index.list({ top: 20 });
    expect(runs.map((r) => [r.runId, r.status, r.step])).toEqual([[RUN_ID, 'Failed', 'validate']]);
    expect(await index.list({ top: 20, status: 'Running' })).toEqual({ runs: [] });
  });
});
