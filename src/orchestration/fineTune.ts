// The fine-tune run as a durable orchestration (DESIGN "The flow"). Deterministic: time comes
// only from context.df.currentUtcDateTime, ids from context.df.newGuid, settings from the input;
// everything that touches the world is an activity (src/activities.ts). Lint fences this file.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import type { DomainProblem } from '../domain/errors.js';
import { evaluateGate } from '../domain/gate.js';
import type { JobStatus } from '../domain/ports.js';
import { endpointNameFor } from '../domain/runId.js';
import type { RunView, StepId } from '../domain/run/view.js';
import {
  newRunView,
  runEnded,
  runFailed,
  stepSkipped,
  stepStarted,
  stepSucceeded,
  withPatch,
  type EndStatus,
} from '../domain/runView.js';
import { ExternalEvent } from '../names.js';
import { ActivityName } from './activityNames.js';
import type {
  ActivityResult,
  CheckComputeOutput,
  CleanupOutput,
  DeployOutput,
  DeploymentStateOutput,
  FineTuneInput,
  GetJobOutput,
  JobFinishedEvent,
  PrepareOutput,
  RegisterOutput,
  ResolveModelOutput,
  SmokeTestOutput,
  StartDeploymentOutput,
  StartEndpointOutput,
  SubmitOutput,
  ValidateOutput,
} from './types.js';
import { ActivityCode } from './types.js';

/**
 * Transient faults only (activities return expected failures as values): 5 attempts, 5 s then
 * doubling up to 1 min. The host runs the retries and their delays.
 */
export function activityRetryOptions(): df.RetryOptions {
  const options = new df.RetryOptions(5_000, 5);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 60_000;
  return options;
}

const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];

/** Codes the orchestrator itself reports (activities report their own). */
export const RunErrorCode = {
  activityFailed: 'RUN.ACTIVITY_FAILED',
  jobFailed: 'JOB.FAILED',
  jobCanceled: 'JOB.CANCELED',
  deadlineExceeded: 'JOB.DEADLINE_EXCEEDED',
  deployTimeout: 'DEPLOY.TIMEOUT',
} as const;

/** Deploy polling never waits longer than this between looks (locally the job interval is shorter). */
const MAX_DEPLOY_POLL_SECONDS = 30;
/** A managed deployment takes 10-20 minutes; past this something is stuck. */
export const DEFAULT_DEPLOY_DEADLINE_SECONDS = 90 * 60;
const PROVISIONED = 'Succeeded';

/** How often deploy looks at the provisioning state, and for how long: from the input's settings. */
export function deployTiming(settings: FineTuneInput['settings']): {
  readonly pollSeconds: number;
  readonly deadlineSeconds: number;
} {
  return {
    pollSeconds:
      settings.deployPollIntervalSeconds ??
      Math.min(settings.jobPollIntervalSeconds, MAX_DEPLOY_POLL_SECONDS),
    deadlineSeconds: settings.deployDeadlineSeconds ?? DEFAULT_DEPLOY_DEADLINE_SECONDS,
  };
}

type Outcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly problem: DomainProblem }
  | { readonly kind: 'canceled' };

type TrainOutcome =
  | { readonly kind: 'finished'; readonly status: JobStatus }
  | { readonly kind: 'deadline' }
  | { readonly kind: 'canceled' }
  | { readonly kind: 'failed'; readonly problem: DomainProblem };

type DeployOutcome = Outcome<DeployOutput> | { readonly kind: 'deadline' };

type Gen<T> = Generator<Task, T, unknown>;

/** `base` plus whole seconds, as the Date createTimer wants; derived from replayed time only. */
function secondsAfter(base: Date, seconds: number): Date {
  // eslint-disable-next-line no-restricted-globals -- deterministic: built from currentUtcDateTime, not the clock
  return new Date(base.getTime() + seconds * 1000);
}

/** The first line of a failure, capped: TaskFailed details can carry a stack trace, never shown. */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n')[0]?.trim() ?? '';
  return firstLine.length > 500 ? `${firstLine.slice(0, 500)}...` : firstLine;
}

class Run {
  view: RunView;
  /** Set once submit began: the job name is the run id, so a half-done submit is cancellable too. */
  jobName: string | undefined;
  /** Set once deploy began: cleanup deletes it. */
  endpointName: string | undefined;

  constructor(
    private readonly context: OrchestrationContext,
    readonly input: FineTuneInput,
  ) {
    this.view = newRunView(input.runId, input.dataset);
    this.publish();
  }

  private now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  publish(): void {
    this.context.df.setCustomStatus(this.view);
  }

  /** One line per transition, carrying the run id; silent while replaying (said once already). */
  private log(text: string): void {
    if (!this.context.df.isReplaying) this.context.log(`run ${this.input.runId}: ${text}`);
  }

  started(step: StepId): void {
    this.view = stepStarted(this.view, step, this.now());
    this.publish();
    this.log(`${step} started`);
  }

  succeeded(step: StepId, detail?: string): void {
    this.view = stepSucceeded(this.view, step, this.now(), detail);
    this.publish();
    this.log(`${step} succeeded${detail === undefined ? '' : `: ${detail}`}`);
  }

  skipped(step: StepId, detail: string): void {
    this.view = stepSkipped(this.view, step, detail);
    this.publish();
    this.log(`${step} skipped: ${detail}`);
  }

  failed(step: StepId, problem: DomainProblem): void {
    this.view = runFailed(this.view, step, problem, this.now());
    this.publish();
    this.log(`${step} failed: ${problem.code}: ${problem.message}`);
  }

  ended(status: EndStatus): void {
    this.view = runEnded(this.view, status, this.now());
    this.publish();
    this.log(`ended ${status}`);
  }

  patch(patch: Parameters<typeof withPatch>[1]): void {
    this.view = withPatch(this.view, patch);
    this.publish();
  }

  /**
   * Runs one activity, racing it with CancelRequested. A cancel lets the activity finish (so
   * nothing is left half-made) and then stops the run: cancel is honoured between steps.
   */
  *call<T>(name: string, input: unknown): Gen<Outcome<T>> {
    const df = this.context.df;
    const work = df.callActivityWithRetry(name, activityRetryOptions(), input);
    const cancel = df.waitForExternalEvent(ExternalEvent.cancelRequested);
    const winner = yield df.Task.any([work, cancel]);
    if (winner === cancel) {
      try {
        yield work;
      } catch {
        // the run is canceled either way; what the activity managed is cleaned up below
      }
      return { kind: 'canceled' };
    }
    if (work.isFaulted) {
      return {
        kind: 'failed',
        problem: { code: RunErrorCode.activityFailed, message: failureMessage(work.result) },
      };
    }
    const result = work.result as ActivityResult<T>;
    return result.ok ? { kind: 'ok', value: result.value } : { kind: 'failed', problem: result.error };
  }

  /**
   * Waits for the job: JobFinished (from jobEvents), or a polling backstop every
   * jobPollIntervalSeconds (events can be lost), until jobDeadlineSeconds; CancelRequested wins
   * too. One timer per round, min(poll, deadline); the loser timer is cancelled so the instance
   * can complete (durable-js #577: the event-vs-timer race is covered by replay tests).
   */
  *waitForJob(jobName: string): Gen<TrainOutcome> {
    const df = this.context.df;
    const { jobPollIntervalSeconds, jobDeadlineSeconds } = this.input.settings;
    const deadline = secondsAfter(df.currentUtcDateTime, jobDeadlineSeconds).getTime();
    for (;;) {
      const now = df.currentUtcDateTime.getTime();
      if (now >= deadline) return { kind: 'deadline' };
      const fireAt = Math.min(now + jobPollIntervalSeconds * 1000, deadline);
      const timer: TimerTask = df.createTimer(secondsAfter(df.currentUtcDateTime, (fireAt - now) / 1000));
      const finished = df.waitForExternalEvent(ExternalEvent.jobFinished);
      const cancel = df.waitForExternalEvent(ExternalEvent.cancelRequested);
      const winner = yield df.Task.any([finished, cancel, timer]);
      if (winner !== timer && !timer.isCompleted) timer.cancel();
      if (winner === cancel) return { kind: 'canceled' };
      if (winner === finished) {
        const status = (finished.result as Partial<JobFinishedEvent> | undefined)?.status;
        if (status !== undefined && TERMINAL_JOB_STATUSES.includes(status))
          return { kind: 'finished', status };
        continue; // a non-terminal or malformed event: keep waiting
      }
      if (fireAt >= deadline) return { kind: 'deadline' };
      const polled = yield* this.call<GetJobOutput>(ActivityName.getJob, { jobName });
      if (polled.kind !== 'ok') return polled;
      if (TERMINAL_JOB_STATUSES.includes(polled.value.status))
        return { kind: 'finished', status: polled.value.status };
    }
  }

  /**
   * Endpoint, then deployment, then traffic 100%. The ARM creates return at once; the
   * provisioning (10-20 min for a deployment) is awaited here on durable timers, polling
   * getDeploymentState, so no activity holds a worker. CancelRequested wins every wait; the
   * deadline covers the whole step.
   */
  *deploy(args: {
    readonly endpointName: string;
    readonly modelId: string;
    readonly inferenceAllowList?: readonly string[];
  }): Gen<DeployOutcome> {
    const df = this.context.df;
    const { runId } = this.input;
    const { endpointName } = args;
    const { pollSeconds, deadlineSeconds } = deployTiming(this.input.settings);
    const deadline = secondsAfter(df.currentUtcDateTime, deadlineSeconds).getTime();

    const endpoint = yield* this.call<StartEndpointOutput>(ActivityName.startEndpoint, {
      runId,
      endpointName,
      ...(args.inferenceAllowList === undefined ? {} : { inferenceAllowList: args.inferenceAllowList }),
    });
    if (endpoint.kind !== 'ok') return endpoint;
    let state: DeploymentStateOutput = { endpoint: endpoint.value.provisioningState };
    let deploymentStarted = false;
    for (;;) {
      if (!deploymentStarted && state.endpoint === PROVISIONED) {
        const started = yield* this.call<StartDeploymentOutput>(ActivityName.startDeployment, {
          runId,
          endpointName,
          modelId: args.modelId,
        });
        if (started.kind !== 'ok') return started;
        deploymentStarted = true;
        state = { ...state, deployment: started.value.provisioningState };
      }
      if (deploymentStarted && state.deployment === PROVISIONED) break;
      const waited = yield* this.pause(pollSeconds, deadline);
      if (waited !== 'timer') return { kind: waited };
      const polled = yield* this.call<DeploymentStateOutput>(ActivityName.getDeploymentState, {
        runId,
        endpointName,
      });
      if (polled.kind !== 'ok') return polled;
      state = polled.value;
      if (deploymentStarted && state.deployment === undefined) {
        return {
          kind: 'failed',
          problem: {
            code: ActivityCode.deployFailed,
            message: `deployment of endpoint ${endpointName} no longer exists (deleted while the run was deploying)`,
          },
        };
      }
    }
    return yield* this.call<DeployOutput>(ActivityName.setTraffic, { runId, endpointName });
  }

  /**
   * One wait between deploy polls: a timer of `seconds` (capped at the deadline) raced with
   * CancelRequested; the losing timer is cancelled so the instance can complete (durable-js #577).
   */
  private *pause(seconds: number, deadline: number): Gen<'timer' | 'canceled' | 'deadline'> {
    const df = this.context.df;
    const now = df.currentUtcDateTime.getTime();
    if (now >= deadline) return 'deadline';
    const fireAt = Math.min(now + seconds * 1000, deadline);
    const timer: TimerTask = df.createTimer(secondsAfter(df.currentUtcDateTime, (fireAt - now) / 1000));
    const cancel = df.waitForExternalEvent(ExternalEvent.cancelRequested);
    const winner = yield df.Task.any([timer, cancel]);
    if (winner === cancel) {
      if (!timer.isCompleted) timer.cancel();
      return 'canceled';
    }
    return fireAt >= deadline ? 'deadline' : 'timer';
  }
}

function* fineTune(context: OrchestrationContext): Gen<RunView> {
  const input = context.df.getInput<FineTuneInput>();
  const run = new Run(context, input);
  const { runId } = input;

  /** Ends the run: cancel the job if still running, delete what was deployed, write the summary. */
  function* finish(status: 'Failed' | 'Canceled' | EndStatus, trainDone: boolean): Gen<RunView> {
    if (status === 'Canceled' || status === 'Failed') {
      if (run.jobName !== undefined && !trainDone) {
        yield* cancelJob(run.jobName);
      }
      if (run.endpointName !== undefined) {
        run.started('cleanup');
        const cleaned = yield* run.call<CleanupOutput>(ActivityName.cleanup, {
          runId,
          endpointName: run.endpointName,
        });
        if (cleaned.kind === 'ok') {
          run.succeeded(
            'cleanup',
            cleaned.value.deleted ? `deleted endpoint ${run.endpointName}` : 'nothing to delete',
          );
        } else {
          run.skipped(
            'cleanup',
            `cleanup failed: ${cleaned.kind === 'failed' ? cleaned.problem.message : 'canceled'}`,
          );
        }
      }
    }
    if (status !== 'Failed') run.ended(status);
    yield* writeSummary();
    return run.view;
  }

  function* cancelJob(jobName: string): Gen<void> {
    // Not raced with cancel: cancelling is what a cancel asks for.
    try {
      yield context.df.callActivityWithRetry(ActivityName.cancelJob, activityRetryOptions(), { jobName });
    } catch {
      // best effort: the view already says why the run stopped
    }
  }

  function* writeSummary(): Gen<void> {
    try {
      yield context.df.callActivityWithRetry(ActivityName.writeSummary, activityRetryOptions(), {
        view: run.view,
      });
    } catch {
      // the summary blob is a convenience; the run view (output) is the record
    }
  }

  /** Runs one step: started -> activity -> succeeded, or the run ends failed/canceled. */
  function* step<T>(
    id: StepId,
    name: string,
    activityInput: unknown,
    detail: (value: T) => string | undefined,
  ): Gen<Outcome<T>> {
    run.started(id);
    const outcome = yield* run.call<T>(name, activityInput);
    if (outcome.kind === 'ok') run.succeeded(id, detail(outcome.value));
    else if (outcome.kind === 'failed') run.failed(id, outcome.problem);
    return outcome;
  }

  const ended = (outcome: Outcome<unknown>, trainDone = false): Gen<RunView> =>
    finish(outcome.kind === 'canceled' ? 'Canceled' : 'Failed', trainDone);

  // Overrides that came with the dataset and cannot be used: nothing is worth running.
  if (input.rejectedOverrides !== undefined) {
    run.started('validate');
    run.failed('validate', input.rejectedOverrides);
    return yield* finish('Failed', false);
  }

  const validated = yield* step<ValidateOutput>(
    'validate',
    ActivityName.validate,
    { runId, dataset: input.dataset },
    (v) => `${v.validRows} of ${v.rows} rows valid (${v.format}); ${v.warnings} warnings`,
  );
  if (validated.kind !== 'ok') return yield* ended(validated);

  const prepared = yield* step<PrepareOutput>(
    'prepare',
    ActivityName.prepare,
    { runId, dataset: input.dataset, ...(input.testPath === undefined ? {} : { testPath: input.testPath }) },
    (v) => `${v.trainRows} train rows, ${v.testRows} test rows`,
  );
  if (prepared.kind !== 'ok') return yield* ended(prepared);

  const model = yield* step<ResolveModelOutput>(
    'resolveModel',
    ActivityName.resolveModel,
    {},
    (v) => `${v.model.id} (${v.model.source})`,
  );
  if (model.kind !== 'ok') return yield* ended(model);

  const compute = yield* step<CheckComputeOutput>(
    'checkCompute',
    ActivityName.checkCompute,
    {
      overrides: input.overrides,
      modelSpecificDefaults: model.value.modelSpecificDefaults,
      ...(model.value.finetuneAllowList === undefined
        ? {}
        : { finetuneAllowList: model.value.finetuneAllowList }),
    },
    (v) => `${v.computeName}: ${v.vmSize}, ${v.gpusPerNode} GPUs x ${v.nodes} nodes`,
  );
  if (compute.kind !== 'ok') return yield* ended(compute);

  run.jobName = runId;
  const submitted = yield* step<SubmitOutput>(
    'submit',
    ActivityName.submit,
    {
      runId,
      overrides: input.overrides,
      model: model.value,
      compute: compute.value,
      trainPath: prepared.value.trainPath,
      testPath: prepared.value.testPath,
    },
    (v) => `${v.created ? 'submitted' : 'already submitted'} ${v.displayName}`,
  );
  if (submitted.kind !== 'ok') return yield* ended(submitted);
  run.patch({ jobName: submitted.value.jobName });

  run.started('train');
  const trained = yield* run.waitForJob(submitted.value.jobName);
  switch (trained.kind) {
    case 'canceled':
      return yield* finish('Canceled', false);
    case 'failed':
      run.failed('train', trained.problem);
      return yield* finish('Failed', false);
    case 'deadline':
      run.failed('train', {
        code: RunErrorCode.deadlineExceeded,
        message: `job ${submitted.value.jobName} did not finish within ${input.settings.jobDeadlineSeconds} s; it was cancelled`,
      });
      return yield* finish('Failed', false);
    case 'finished':
      if (trained.status !== 'Completed') {
        run.failed('train', {
          code: trained.status === 'Failed' ? RunErrorCode.jobFailed : RunErrorCode.jobCanceled,
          message:
            `job ${submitted.value.jobName} ended ${trained.status}` +
            (submitted.value.studioUrl === undefined
              ? ''
              : `; its logs and outputs: ${submitted.value.studioUrl}`),
        });
        return yield* finish('Failed', true);
      }
      run.succeeded('train', `job ${submitted.value.jobName} Completed`);
  }

  const metrics = yield* step<Record<string, number>>(
    'metrics',
    ActivityName.metrics,
    { jobName: submitted.value.jobName },
    (v) => `${Object.keys(v).length} metrics`,
  );
  if (metrics.kind !== 'ok') return yield* ended(metrics, true);
  run.patch({ metrics: metrics.value });

  let gatePassed = true;
  run.started('gate');
  if (input.settings.gate === undefined) {
    run.skipped('gate', 'no gate configured');
  } else {
    const gate = evaluateGate(metrics.value, input.settings.gate);
    gatePassed = gate.passed;
    run.succeeded('gate', gate.reason);
  }

  const registered = yield* step<RegisterOutput>(
    'register',
    ActivityName.register,
    { runId, jobName: submitted.value.jobName },
    (v) => `${v.name}:${v.version}`,
  );
  if (registered.kind !== 'ok') return yield* ended(registered, true);
  run.patch({ model: registered.value });

  if (!gatePassed) {
    run.skipped('deploy', 'gate not passed');
    run.skipped('smokeTest', 'gate not passed');
    run.skipped('cleanup', 'nothing deployed');
    return yield* finish('NotDeployed', true);
  }

  // newGuid is replay-safe: the same suffix on every replay and retry of this run.
  const suffix = context.df.newGuid(runId).replace(/-/g, '').slice(0, 4);
  run.endpointName = endpointNameFor(input.hash, suffix);
  run.started('deploy');
  const deployed = yield* run.deploy({
    endpointName: run.endpointName,
    modelId: registered.value.id,
    ...(model.value.inferenceAllowList === undefined
      ? {}
      : { inferenceAllowList: model.value.inferenceAllowList }),
  });
  if (deployed.kind === 'deadline') {
    run.failed('deploy', {
      code: RunErrorCode.deployTimeout,
      message: `endpoint ${run.endpointName} was not serving within ${deployTiming(input.settings).deadlineSeconds} s; it is deleted`,
    });
    return yield* finish('Failed', true);
  }
  if (deployed.kind === 'failed') run.failed('deploy', deployed.problem);
  if (deployed.kind !== 'ok') return yield* ended(deployed, true);
  run.succeeded('deploy', `${deployed.value.name} serving, traffic 100%`);
  run.patch({ endpoint: { name: deployed.value.name, scoringUri: deployed.value.scoringUri } });

  const smoke = yield* step<SmokeTestOutput>(
    'smokeTest',
    ActivityName.smokeTest,
    {
      runId,
      endpointName: deployed.value.name,
      scoringUri: deployed.value.scoringUri,
      testPath: prepared.value.testPath,
    },
    () => 'answered',
  );
  if (smoke.kind !== 'ok') return yield* ended(smoke, true);
  run.patch({ smokeTest: smoke.value });

  run.skipped('cleanup', 'nothing to clean up');
  return yield* finish('Succeeded', true);
}

export const fineTuneOrchestrator: OrchestrationHandler = fineTune;
