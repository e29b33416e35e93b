// The fine-tune run as a durable orchestration (docs/architecture.md, "The flow"). Deterministic:
// time comes only from context.df.currentUtcDateTime, ids from context.df.newGuid, settings from
// the input; everything that touches the world is an activity, called through the typed contract
// (./contract.ts). Lint fences this file (eslint.config.js, proven by test/lint/fences.test.ts).
//
// Reading order: `fineTune` at the bottom is the main flow, one step after the other. The waits
// (the job, the deployment) are sub-generators of Run; every wait goes through Run.race, the one
// "task vs CancelRequested vs timer" helper; every step's failure is recorded by Run.stage.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { PROVISIONED } from '../domain/deployment.js';
import type { DomainProblem } from '../domain/errors.js';
import { evaluateGate } from '../domain/gate.js';
import { isTerminalJobStatus, type FinishedJobStatus } from '../domain/jobStatus.js';
import { runEvents } from '../domain/lifecycleEvents.js';
import { endpointNameFor } from '../domain/runId.js';
import {
  newRunView,
  runEnded,
  runFailed,
  stepFailed,
  stepSkipped,
  stepStarted,
  stepSucceeded,
  withNotes,
  withPatch,
  type EndStatus,
  type RunView,
  type RunViewPatch,
  type StepId,
} from '../domain/runView.js';
import type { RolloutResult } from '../domain/line.js';
import { ExternalEvent } from '../names.js';
import {
  Activity,
  ClientActivity,
  type ActivityDeclaration,
  type ActivityResult,
  type DeployOutput,
  type DeploymentStateOutput,
  type FineTuneInput,
  type InputOf,
  type OutputOf,
  type RolloutRequest,
  type StepNote,
  type SubmitOutput,
} from './contract.js';
import { withThrottleWaits } from './throttle.js';

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

/** A request the line does not know (lost in transit) is sent again this many times. */
const MAX_ROLLOUT_RESENDS = 3;

/** Deploy polling never waits longer than this between looks (locally the job interval is shorter). */
const MAX_DEPLOY_POLL_SECONDS = 30;
/** A managed deployment takes 10-20 minutes; past this something is stuck. */
export const DEFAULT_DEPLOY_DEADLINE_SECONDS = 90 * 60;

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

/** How a step ended: its value, a problem the run fails with, or a cancel. */
type Outcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly problem: DomainProblem }
  | { readonly kind: 'canceled' };

type Gen<T> = Generator<Task, T, unknown>;

const failed = (problem: DomainProblem): Outcome<never> => ({ kind: 'failed', problem });

/** `base` plus whole seconds, as the Date createTimer wants; derived from replayed time only. */
export function secondsAfter(base: Date, seconds: number): Date {
  // eslint-disable-next-line no-restricted-globals -- deterministic: built from currentUtcDateTime, not the clock
  return new Date(base.getTime() + seconds * 1000);
}

/** The first line of a failure, capped: TaskFailed details can carry a stack trace, never shown. */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n')[0]?.trim() ?? '';
  return firstLine.length > 500 ? `${firstLine.slice(0, 500)}...` : firstLine;
}

/** One run: its view (published as customStatus on every change) and what cleanup must undo. */
class Run {
  view: RunView;
  /** Set once submit began: the job name is the run id, so a half-done submit is cancellable too. */
  jobName: string | undefined;
  /** True once the job is known to have finished (nothing left to cancel). */
  jobFinished = false;
  /** Set once deploy began: cleanup deletes it. */
  endpointName: string | undefined;

  constructor(
    private readonly context: OrchestrationContext,
    readonly input: FineTuneInput,
  ) {
    this.view = newRunView(input.runId, input.dataset, input.line?.id);
    this.publish();
  }

  private get df() {
    return this.context.df;
  }

  private now(): string {
    return this.df.currentUtcDateTime.toISOString();
  }

  private publish(): void {
    this.df.setCustomStatus(this.view);
  }

  /** One line per transition, carrying the run id; silent while replaying (said once already). */
  private log(text: string): void {
    if (!this.df.isReplaying) this.context.log(`run ${this.input.runId}: ${text}`);
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

  /** A step that failed without failing the run (a rollout that rolled back: the champion serves). */
  stepFailed(step: StepId, detail: string): void {
    this.view = stepFailed(this.view, step, this.now(), detail);
    this.publish();
    this.log(`${step} failed: ${detail}`);
  }

  /** The one way a step's failure is recorded: the run is Failed at `step` with the problem. */
  failed(step: StepId, problem: DomainProblem): void {
    this.view = runFailed(this.view, step, problem, this.now());
    this.publish();
    this.log(`${step} failed: ${problem.code}: ${problem.message}`);
  }

  private ended(status: EndStatus): void {
    this.view = runEnded(this.view, status, this.now());
    this.publish();
    this.log(`ended ${status}`);
  }

  patch(patch: RunViewPatch): void {
    this.view = withPatch(this.view, patch);
    this.publish();
  }

  /** Records what did not stop `step` (a dropped default, a check not made, a deprecation). */
  note(step: StepId, notes: readonly StepNote[] | undefined): void {
    if (notes === undefined || notes.length === 0) return;
    this.view = withNotes(this.view, step, notes);
    this.publish();
    for (const note of notes) this.log(`${step} note: ${note.code}: ${note.message}`);
  }

  /**
   * Waits for the first of: `task` (when given), CancelRequested, and a timer at `fireAt` (when
   * given). A losing timer is cancelled so the instance can complete (durable-js #577: the
   * event-vs-timer race is covered by replay tests).
   */
  private *race(task: Task | undefined, fireAt?: Date): Gen<'task' | 'canceled' | 'timer'> {
    const cancel = this.df.waitForExternalEvent(ExternalEvent.cancelRequested);
    const timer = fireAt === undefined ? undefined : this.df.createTimer(fireAt);
    const contenders = [task, cancel, timer].filter((t): t is Task => t !== undefined);
    const winner = yield this.df.Task.any(contenders);
    if (timer !== undefined && winner !== timer && !timer.isCompleted) timer.cancel();
    return winner === cancel ? 'canceled' : winner === timer ? 'timer' : 'task';
  }

  /**
   * Runs one activity, racing it with CancelRequested. A cancel lets the activity finish (so
   * nothing is left half-made) and then stops the run: cancel is honoured between steps. A
   * throttle longer than the retries (the activity hands it back as a value) is waited out on a
   * durable timer and the activity called again (./throttle.ts); a cancel wins that wait too.
   */
  *call<D extends ActivityDeclaration<unknown, unknown>>(
    activity: D,
    input: InputOf<D>,
  ): Gen<Outcome<OutputOf<D>>> {
    return yield* withThrottleWaits(() => attempt.call(this), {
      sleep: (seconds) => this.race(undefined, secondsAfter(this.df.currentUtcDateTime, seconds)),
      onWait: (seconds, problem) => {
        this.log(`${activity.name} throttled (${problem.code}): calling again in ${seconds} s`);
      },
    });

    function* attempt(this: Run): Gen<Outcome<OutputOf<D>>> {
      const work = this.df.callActivityWithRetry(activity.name, activityRetryOptions(), input);
      if ((yield* this.race(work)) === 'canceled') {
        try {
          yield work;
        } catch {
          // the run is canceled either way; what the activity managed is cleaned up after
        }
        return { kind: 'canceled' };
      }
      if (work.isFaulted)
        return failed({ code: 'RUN.ACTIVITY_FAILED', message: failureMessage(work.result) });
      // The activity returned its declared Result (the contract types the implementation).
      const result = work.result as ActivityResult<OutputOf<D>>;
      return result.ok ? { kind: 'ok', value: result.value } : failed(result.error);
    }
  }

  /** An activity that must run whatever happens (cancel the job, write the summary); best effort. */
  *always<D extends ActivityDeclaration<unknown, unknown>>(activity: D, input: InputOf<D>): Gen<void> {
    try {
      yield this.df.callActivityWithRetry(activity.name, activityRetryOptions(), input);
    } catch {
      // the run view (the orchestration's output) is the record; this was a convenience
    }
  }

  /** Keeps the run's row in the run index (GET /api/runs lists from it); never fails the run. */
  *index(): Gen<void> {
    yield* this.always(Activity.indexRun, { view: this.view });
  }

  /** A step: started, then `work`, then succeeded with its detail, or failed with its problem. */
  *stage<T>(step: StepId, work: Gen<Outcome<T>>, detail: (value: T) => string | undefined): Gen<Outcome<T>> {
    this.started(step);
    const outcome = yield* work;
    if (outcome.kind === 'ok') this.succeeded(step, detail(outcome.value));
    else if (outcome.kind === 'failed') this.failed(step, outcome.problem);
    yield* this.index();
    return outcome;
  }

  /** A step that is one activity call. */
  step<D extends ActivityDeclaration<unknown, unknown>>(
    step: StepId,
    activity: D,
    input: InputOf<D>,
    detail: (value: OutputOf<D>) => string | undefined,
  ): Gen<Outcome<OutputOf<D>>> {
    return this.stage(step, this.call(activity, input), detail);
  }

  /**
   * Waits for the job: JobFinished (from jobEvents), or a polling backstop every
   * jobPollIntervalSeconds (events can be lost), until jobDeadlineSeconds; CancelRequested wins
   * too. An event only says "look now": the job's own status, read once, decides, so a stray
   * event or a child step run's event cannot end training early. A job that ends other than
   * Completed fails the step, naming its studio page.
   */
  *waitForJob(job: SubmitOutput): Gen<Outcome<FinishedJobStatus>> {
    const { jobPollIntervalSeconds, jobDeadlineSeconds } = this.input.settings;
    const deadline = secondsAfter(this.df.currentUtcDateTime, jobDeadlineSeconds).getTime();
    const deadlinePassed = failed({
      code: 'JOB.DEADLINE_EXCEEDED',
      message: `job ${job.jobName} did not finish within ${jobDeadlineSeconds} s; it was cancelled`,
    });
    for (;;) {
      const now = this.df.currentUtcDateTime.getTime();
      if (now >= deadline) return deadlinePassed;
      const fireAt = Math.min(now + jobPollIntervalSeconds * 1000, deadline);
      const finished = this.df.waitForExternalEvent(ExternalEvent.jobFinished);
      const waited = yield* this.race(
        finished,
        secondsAfter(this.df.currentUtcDateTime, (fireAt - now) / 1000),
      );
      if (waited === 'canceled') return { kind: 'canceled' };
      if (waited === 'timer' && fireAt >= deadline) return deadlinePassed;
      const polled = yield* this.call(Activity.getJob, { jobName: job.jobName });
      if (polled.kind !== 'ok') return polled;
      if (isTerminalJobStatus(polled.value.status)) return this.jobEnded(job, polled.value.status);
    }
  }

  private jobEnded(job: SubmitOutput, status: FinishedJobStatus): Outcome<FinishedJobStatus> {
    this.jobFinished = true;
    if (status === 'Completed') return { kind: 'ok', value: status };
    return failed({
      code: status === 'Failed' ? 'JOB.FAILED' : 'JOB.CANCELED',
      message:
        `job ${job.jobName} ended ${status}` +
        (job.studioUrl === undefined ? '' : `; its logs and outputs: ${job.studioUrl}`),
    });
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
  }): Gen<Outcome<DeployOutput>> {
    const { runId } = this.input;
    const { endpointName } = args;
    const { pollSeconds, deadlineSeconds } = deployTiming(this.input.settings);
    const deadline = secondsAfter(this.df.currentUtcDateTime, deadlineSeconds).getTime();
    const deadlinePassed = failed({
      code: 'DEPLOY.TIMEOUT',
      message: `endpoint ${endpointName} was not serving within ${deadlineSeconds} s; it is deleted`,
    });

    const endpoint = yield* this.call(Activity.startEndpoint, {
      runId,
      endpointName,
      ...(args.inferenceAllowList === undefined ? {} : { inferenceAllowList: args.inferenceAllowList }),
    });
    if (endpoint.kind !== 'ok') return endpoint;
    let state: DeploymentStateOutput = { endpoint: endpoint.value.provisioningState };
    let deploymentStarted = false;
    for (;;) {
      if (!deploymentStarted && state.endpoint === PROVISIONED) {
        const started = yield* this.call(Activity.startDeployment, {
          runId,
          endpointName,
          modelId: args.modelId,
        });
        if (started.kind !== 'ok') return started;
        deploymentStarted = true;
        state = { ...state, deployment: started.value.provisioningState };
      }
      if (deploymentStarted && state.deployment === PROVISIONED) break;
      // one wait between polls, capped at the deadline
      const now = this.df.currentUtcDateTime.getTime();
      if (now >= deadline) return deadlinePassed;
      const fireAt = Math.min(now + pollSeconds * 1000, deadline);
      const waited = yield* this.race(
        undefined,
        secondsAfter(this.df.currentUtcDateTime, (fireAt - now) / 1000),
      );
      if (waited === 'canceled') return { kind: 'canceled' };
      if (fireAt >= deadline) return deadlinePassed;
      const polled = yield* this.call(Activity.getDeploymentState, { runId, endpointName });
      if (polled.kind !== 'ok') return polled;
      state = polled.value;
      if (deploymentStarted && state.deployment === undefined) {
        return failed({
          code: 'DEPLOY.FAILED',
          message: `deployment of endpoint ${endpointName} no longer exists (deleted while the run was deploying)`,
        });
      }
    }
    return yield* this.call(Activity.setTraffic, { runId, endpointName });
  }

  /**
   * Hands the registered model to its line (src/orchestration/lineOrchestration.ts), the one
   * writer of the line's endpoint, and waits for the line's answer: the RolloutFinished event,
   * with a look at the line's status every poll as the backstop (an event can be lost; a request
   * the line does not know is sent again). CancelRequested wins the wait; the line finishes what
   * it started (nothing is left half-made on the endpoint) and the answer goes unread.
   */
  *rollout(line: NonNullable<FineTuneInput['line']>, request: RolloutRequest): Gen<Outcome<RolloutResult>> {
    const target = { line: line.id, endpointName: line.endpointName, settings: line.settings, request };
    const sent = yield* this.call(ClientActivity.requestLine, target);
    if (sent.kind !== 'ok') return sent;
    const key = `rollout:${request.runId}`;
    let resends = 0;
    for (;;) {
      const finished = this.df.waitForExternalEvent(ExternalEvent.rolloutFinished);
      const waited = yield* this.race(
        finished,
        secondsAfter(this.df.currentUtcDateTime, line.settings.pollSeconds),
      );
      if (waited === 'canceled') return { kind: 'canceled' };
      if (waited === 'task') return { kind: 'ok', value: finished.result as RolloutResult };
      const read = yield* this.call(ClientActivity.readLine, { line: line.id });
      if (read.kind !== 'ok') return read;
      const status = read.value.status;
      const answer = status?.outcomes[request.runId];
      if (answer !== undefined) return { kind: 'ok', value: answer };
      if (read.value.running && (status?.current === key || status?.pending.includes(key) === true)) continue;
      if (resends >= MAX_ROLLOUT_RESENDS) {
        return failed({
          code: 'LINE.NO_ANSWER',
          message: `line '${line.id}' did not take the rollout request after ${MAX_ROLLOUT_RESENDS + 1} tries; the model is registered, the line unchanged`,
        });
      }
      resends += 1;
      const again = yield* this.call(ClientActivity.requestLine, target);
      if (again.kind !== 'ok') return again;
    }
  }

  /**
   * Ends the run. A failed or canceled run first cancels its job (unless it finished) and deletes
   * its endpoint (if deploy began); every run writes its summary.
   */
  *finish(status: 'Failed' | EndStatus): Gen<RunView> {
    const { runId } = this.input;
    if (status === 'Canceled' || status === 'Failed') {
      // Not raced with cancel: cancelling is what a cancel asks for.
      if (this.jobName !== undefined && !this.jobFinished)
        yield* this.always(Activity.cancelJob, { jobName: this.jobName });
      if (this.endpointName !== undefined) {
        const endpointName = this.endpointName;
        this.started('cleanup');
        const cleaned = yield* this.call(Activity.cleanup, { runId, endpointName });
        if (cleaned.kind === 'ok') {
          this.succeeded(
            'cleanup',
            cleaned.value.deleted ? `deleted endpoint ${endpointName}` : 'nothing to delete',
          );
        } else {
          this.skipped(
            'cleanup',
            `cleanup failed: ${cleaned.kind === 'failed' ? cleaned.problem.message : 'canceled'}`,
          );
        }
      }
    }
    if (status !== 'Failed') this.ended(status);
    yield* this.always(Activity.publishEvents, { events: runEvents(this.view) });
    yield* this.index();
    yield* this.always(Activity.writeSummary, { view: this.view });
    return this.view;
  }

  /** Ends the run after a step that did not succeed: Canceled, or Failed (already recorded). */
  stop(outcome: Outcome<unknown>): Gen<RunView> {
    return this.finish(outcome.kind === 'canceled' ? 'Canceled' : 'Failed');
  }
}

function* fineTune(context: OrchestrationContext): Gen<RunView> {
  const input = context.df.getInput<FineTuneInput>();
  const run = new Run(context, input);
  yield* run.index();
  const { runId, dataset } = input;

  // Overrides that came with the dataset and cannot be used: nothing is worth running.
  if (input.rejectedOverrides !== undefined) {
    run.started('validate');
    run.failed('validate', input.rejectedOverrides);
    return yield* run.finish('Failed');
  }

  const validated = yield* run.step(
    'validate',
    Activity.validate,
    { runId, dataset, ...(input.testPath === undefined ? {} : { testPath: input.testPath }) },
    (v) => `${v.validRows} of ${v.rows} rows valid (${v.format}); ${v.warnings} warnings`,
  );
  if (validated.kind !== 'ok') return yield* run.stop(validated);

  const prepared = yield* run.step(
    'prepare',
    Activity.prepare,
    {
      runId,
      dataset,
      ...(input.testPath === undefined ? {} : { testPath: input.testPath }),
      split: validated.value.split,
    },
    (v) => `${v.trainRows} train rows, ${v.testRows} test rows`,
  );
  if (prepared.kind !== 'ok') return yield* run.stop(prepared);
  const { trainPath, testPath } = prepared.value;

  const model = yield* run.step(
    'resolveModel',
    Activity.resolveModel,
    { overrides: input.overrides },
    (v) => `${v.model.id} (${v.model.source}); ${v.component.name} ${v.component.version}`,
  );
  if (model.kind !== 'ok') return yield* run.stop(model);
  const { finetuneAllowList, inferenceAllowList, modelSpecificDefaults, component, lifecycle } = model.value;
  const baseModel = {
    name: model.value.model.name,
    version: model.value.model.version,
    ...(lifecycle === undefined ? {} : { lifecycle }),
  };
  run.patch({ component: { id: component.id, version: component.version }, model: { base: baseModel } });
  run.note('resolveModel', model.value.notes);

  const compute = yield* run.step(
    'checkCompute',
    Activity.checkCompute,
    {
      overrides: input.overrides,
      modelSpecificDefaults,
      ...(finetuneAllowList === undefined ? {} : { finetuneAllowList }),
    },
    (v) => `${v.computeName}: ${v.vmSize}, ${v.gpusPerNode} GPUs x ${v.nodes} nodes`,
  );
  if (compute.kind !== 'ok') return yield* run.stop(compute);
  run.note('checkCompute', compute.value.notes);

  run.jobName = runId;
  const submitted = yield* run.step(
    'submit',
    Activity.submit,
    { runId, overrides: input.overrides, model: model.value, compute: compute.value, trainPath, testPath },
    (v) => `${v.created ? 'submitted' : 'already submitted'} ${v.displayName}`,
  );
  if (submitted.kind !== 'ok') return yield* run.stop(submitted);
  const job = submitted.value;
  run.patch({ jobName: job.jobName });

  const trained = yield* run.stage('train', run.waitForJob(job), (status) => `job ${job.jobName} ${status}`);
  if (trained.kind !== 'ok') return yield* run.stop(trained);

  const metrics = yield* run.step(
    'metrics',
    Activity.metrics,
    { jobName: job.jobName },
    (v) => `${Object.keys(v).length} metrics`,
  );
  if (metrics.kind !== 'ok') return yield* run.stop(metrics);
  run.patch({ metrics: metrics.value });

  run.started('gate');
  const gate =
    input.settings.gate === undefined ? undefined : evaluateGate(metrics.value, input.settings.gate);
  if (gate === undefined) run.skipped('gate', 'no gate configured');
  else run.succeeded('gate', gate.reason);

  const registered = yield* run.step(
    'register',
    Activity.register,
    { runId, jobName: job.jobName },
    (v) => `${v.name}:${v.version}`,
  );
  if (registered.kind !== 'ok') return yield* run.stop(registered);
  run.patch({ model: { ...registered.value, base: baseModel } });

  if (gate !== undefined && !gate.passed) {
    run.skipped('deploy', 'gate not passed');
    run.skipped('smokeTest', 'gate not passed');
    run.skipped('cleanup', 'nothing deployed');
    return yield* run.finish('NotDeployed');
  }

  if (input.line !== undefined) {
    return yield* rollOutOnLine(run, input.line, {
      kind: 'rollout',
      runId,
      modelId: registered.value.id,
      modelLabel: `${registered.value.name}:${registered.value.version}`,
      modelVersion: registered.value.version,
      testPath,
      ...(inferenceAllowList === undefined ? {} : { inferenceAllowList }),
      metrics: metrics.value,
    });
  }

  // A run started before serving lines (no line in its input) deploys to an endpoint of its own.
  // newGuid is replay-safe: the same suffix on every replay and retry of this run.
  const suffix = context.df.newGuid(runId).replace(/-/g, '').slice(0, 4);
  run.endpointName = endpointNameFor(input.hash, suffix);
  const deployed = yield* run.stage(
    'deploy',
    run.deploy({
      endpointName: run.endpointName,
      modelId: registered.value.id,
      ...(inferenceAllowList === undefined ? {} : { inferenceAllowList }),
    }),
    (v) => `${v.name} serving, traffic 100%`,
  );
  if (deployed.kind !== 'ok') return yield* run.stop(deployed);
  const endpoint = deployed.value;
  run.patch({ endpoint: { name: endpoint.name, scoringUri: endpoint.scoringUri } });

  const smoke = yield* run.step(
    'smokeTest',
    Activity.smokeTest,
    { runId, endpointName: endpoint.name, scoringUri: endpoint.scoringUri, testPath },
    () => 'answered',
  );
  if (smoke.kind !== 'ok') return yield* run.stop(smoke);
  run.patch({ smokeTest: smoke.value });

  run.skipped('cleanup', 'nothing to clean up');
  return yield* run.finish('Succeeded');
}

/** deploy and smokeTest are the line's rollout; the run ends by how it went. */
function* rollOutOnLine(
  run: Run,
  line: NonNullable<FineTuneInput['line']>,
  request: RolloutRequest,
): Gen<RunView> {
  run.started('deploy');
  const rolled = yield* run.rollout(line, request);
  if (rolled.kind === 'canceled') return yield* run.finish('Canceled');
  if (rolled.kind === 'failed') {
    run.failed('deploy', rolled.problem);
    return yield* run.finish('Failed');
  }
  const result = rolled.value;
  run.patch({
    // a model that never served on the line has no endpoint to show
    ...(result.outcome === 'failed' || result.outcome === 'superseded'
      ? {}
      : { endpoint: { name: result.endpoint.name, scoringUri: result.endpoint.scoringUri ?? '' } }),
    rollout: {
      outcome: result.outcome,
      deployment: result.deployment,
      reason: result.reason,
      ...(result.error === undefined
        ? {}
        : { error: { code: result.error.code, message: result.error.message } }),
    },
  });
  switch (result.outcome) {
    case 'first':
    case 'rolledOut':
      run.succeeded('deploy', `${result.deployment} on line ${result.line}: ${result.reason}`);
      run.started('smokeTest');
      if (result.smokeTest !== undefined) run.patch({ smokeTest: result.smokeTest });
      run.succeeded('smokeTest', `${result.deployment} answered`);
      run.skipped('cleanup', 'nothing to clean up');
      return yield* run.finish('Succeeded');
    case 'superseded':
      run.skipped('deploy', result.reason);
      run.skipped('smokeTest', 'superseded');
      run.skipped('cleanup', 'nothing deployed');
      return yield* run.finish('NotDeployed');
    case 'rolledBack':
      run.stepFailed('deploy', result.reason);
      run.skipped('smokeTest', 'rolled back');
      run.skipped('cleanup', 'the line removed the new deployment');
      return yield* run.finish('RolledBack');
    case 'failed':
    default:
      if (result.endpointDeleted === true) {
        run.failed('deploy', {
          code: (result.error?.code ?? 'DEPLOY.FAILED') as DomainProblem['code'],
          message: result.error?.message ?? result.reason,
          ...(result.error?.details === undefined ? {} : { details: result.error.details }),
        });
        run.started('cleanup');
        run.succeeded(
          'cleanup',
          `deleted endpoint ${result.endpoint.name} (line ${result.line} never served)`,
        );
        return yield* run.finish('Failed');
      }
      run.failed('deploy', {
        code: (result.error?.code ?? 'DEPLOY.FAILED') as DomainProblem['code'],
        message: result.error?.message ?? result.reason,
        ...(result.error?.details === undefined ? {} : { details: result.error.details }),
      });
      return yield* run.finish('Failed');
  }
}

export const fineTuneOrchestrator: OrchestrationHandler = fineTune;
