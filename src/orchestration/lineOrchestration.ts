// One serving line as one long-lived durable orchestration (instance `line-<line id>`, docs/lines.md):
// the one writer of its endpoint. It takes requests as the external event LineRequest (a run's
// Rollout; Park, Wake, Delete from the API or the idle teardown), processes them one at a time,
// and continues as new after each with its view and the requests still waiting, so its history
// stays short. Requests that arrive while one is processed are collected at every wait (Line.wait)
// and kept in order; when several rollouts wait, only the newest is rolled out and the others are
// superseded. Deterministic: time from currentUtcDateTime, every effect an activity.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { DomainProblem } from '../domain/errors.js';
import { lineEvents } from '../domain/lifecycleEvents.js';
import {
  deploymentNameFor,
  withHistory,
  type LineHistoryEntry,
  type LineAction,
  type LineModel,
  type LineView,
  type RolloutResult,
} from '../domain/line.js';
import { ExternalEvent, Tag } from '../names.js';
import { secondsAfter } from './fineTuneRun.js';
import {
  Activity,
  ClientActivity,
  type ActivityDeclaration,
  type ActivityResult,
  type InputOf,
  type LineCommand,
  type LineInput,
  type LineLook,
  type LineRequest,
  type LineStatus,
  type OutputOf,
  type RolloutRequest,
  type SmokeTestOutput,
} from './contract.js';

type Gen<T> = Generator<Task, T, unknown>;
type Outcome<T> =
  { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'failed'; readonly problem: DomainProblem };

/** Outcomes kept for resent requests, and command ids kept for redeliveries. */
const KEEP_OUTCOMES = 20;
const KEEP_HANDLED = 50;
/** The held-out comparison scores this many conversations on each deployment. */
const HELD_OUT_CONVERSATIONS = 5;

function retryOptions(): df.RetryOptions {
  const options = new df.RetryOptions(5_000, 5);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 60_000;
  return options;
}

function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n')[0]?.trim() ?? '';
  return firstLine.length > 500 ? `${firstLine.slice(0, 500)}...` : firstLine;
}

function requestKey(request: LineRequest): string {
  return request.kind === 'rollout' ? `rollout:${request.runId}` : `${request.kind}:${request.requestId}`;
}

/** A request as it arrived over the wire: anything not shaped like one is dropped (and logged). */
function asRequest(value: unknown): LineRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<RolloutRequest> & Partial<LineCommand>;
  if (r.kind === 'rollout' && typeof r.runId === 'string' && typeof r.modelId === 'string')
    return r as RolloutRequest;
  if ((r.kind === 'park' || r.kind === 'wake' || r.kind === 'delete') && typeof r.requestId === 'string')
    return r as LineCommand;
  return undefined;
}

export function initialLineView(line: string, endpointName: string): LineView {
  return { line, endpoint: { name: endpointName }, state: 'deploying', traffic: {}, history: [] };
}

class Line {
  view: LineView;
  pending: LineRequest[];
  outcomes: Record<string, RolloutResult>;
  handled: string[];
  current: string | undefined;
  /** Set by Delete: the orchestration completes instead of continuing as new. */
  deleted = false;

  constructor(
    private readonly context: OrchestrationContext,
    readonly input: LineInput,
  ) {
    this.view = input.view ?? initialLineView(input.line, input.endpointName);
    this.pending = [...(input.pending ?? [])];
    this.outcomes = { ...(input.outcomes ?? {}) };
    this.handled = [...(input.handled ?? [])];
    this.publish();
  }

  private get df() {
    return this.context.df;
  }

  now(): string {
    return this.df.currentUtcDateTime.toISOString();
  }

  private nowMs(): number {
    return this.df.currentUtcDateTime.getTime();
  }

  log(text: string): void {
    if (!this.df.isReplaying) this.context.log(`line ${this.input.line}: ${text}`);
  }

  publish(): void {
    const status: LineStatus = {
      view: this.view,
      ...(this.current === undefined ? {} : { current: this.current }),
      pending: this.pending.map(requestKey),
      outcomes: this.outcomes,
    };
    this.df.setCustomStatus(status);
  }

  set(patch: Partial<LineView>): void {
    const next: Record<string, unknown> = { ...this.view, ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    this.view = next as unknown as LineView;
    this.publish();
  }

  record(action: LineAction, reason: string, runId?: string): void {
    this.view = withHistory(this.view, {
      at: this.now(),
      action,
      reason,
      ...(runId === undefined ? {} : { runId }),
    });
    this.publish();
    this.log(`${action}${runId === undefined ? '' : ` (${runId})`}: ${reason}`);
  }

  /** A request off the wire: duplicates of what is pending, current or done are dropped here. */
  receive(value: unknown): void {
    const request = asRequest(value);
    if (request === undefined) {
      this.log('dropped a request that is not a Rollout, Park, Wake or Delete');
      return;
    }
    const key = requestKey(request);
    if (key === this.current || this.pending.some((p) => requestKey(p) === key)) return;
    if (request.kind !== 'rollout' && this.handled.includes(request.requestId)) return;
    this.pending.push(request);
    this.publish();
  }

  /**
   * Waits for `task`, collecting a request that arrives meanwhile. The task is raced once with a
   * fresh LineRequest waiter (durable-functions hands an event to the newest waiter of its name)
   * and, when a request wins, awaited alone: racing a scheduled task again would schedule it
   * again. Requests that arrive after that are buffered by the history; the next wait, or the
   * drain before continue-as-new, reads them.
   */
  *wait(task: Task): Gen<void> {
    const request = this.df.waitForExternalEvent(ExternalEvent.lineRequest);
    const winner = yield this.df.Task.any([task, request]);
    if (winner !== request) return;
    this.receive(request.result);
    if (task.isCompleted || task.isFaulted) return;
    try {
      yield task;
    } catch {
      // the caller reads task.isFaulted
    }
  }

  /**
   * Reads every request still buffered in the history into `pending`: continue-as-new starts a
   * fresh history, and durable-functions (JS) has no "preserve unprocessed events" option. A timer
   * due now ends the drain once no buffered request is left.
   */
  *drain(): Gen<void> {
    for (;;) {
      const request = this.df.waitForExternalEvent(ExternalEvent.lineRequest);
      const timer = this.df.createTimer(this.df.currentUtcDateTime);
      const winner = yield this.df.Task.any([request, timer]);
      if (winner !== request) return;
      timer.cancel();
      this.receive(request.result);
    }
  }

  *call<D extends ActivityDeclaration<unknown, unknown>>(
    activity: D,
    input: InputOf<D>,
  ): Gen<Outcome<OutputOf<D>>> {
    const work = this.df.callActivityWithRetry(activity.name, retryOptions(), input);
    yield* this.wait(work);
    if (work.isFaulted)
      return {
        kind: 'failed',
        problem: { code: 'RUN.ACTIVITY_FAILED', message: failureMessage(work.result) },
      };
    const result = work.result as ActivityResult<OutputOf<D>>;
    return result.ok ? { kind: 'ok', value: result.value } : { kind: 'failed', problem: result.error };
  }

  *sleep(seconds: number): Gen<void> {
    yield* this.wait(this.df.createTimer(secondsAfter(this.df.currentUtcDateTime, seconds)));
  }

  private endpoint() {
    return { line: this.input.line, endpointName: this.input.endpointName };
  }

  /**
   * Polls the endpoint until `ready(look)` or the deadline; a watched deployment that failed ends
   * the wait with its DEPLOY.FAILED (and logs).
   */
  *until(ready: (look: LineLook) => boolean, what: string, watch?: string): Gen<Outcome<LineLook>> {
    const { pollSeconds, deadlineSeconds } = this.input.settings;
    const deadline = this.nowMs() + deadlineSeconds * 1000;
    for (;;) {
      const look = yield* this.call(Activity.lineLook, {
        ...this.endpoint(),
        ...(watch === undefined ? {} : { watch }),
      });
      if (look.kind !== 'ok') return look;
      if (ready(look.value)) return look;
      if (this.nowMs() >= deadline) {
        return {
          kind: 'failed',
          problem: { code: 'DEPLOY.TIMEOUT', message: `${what} was not done within ${deadlineSeconds} s` },
        };
      }
      yield* this.sleep(Math.min(pollSeconds, Math.max(1, (deadline - this.nowMs()) / 1000)));
    }
  }

  /** Creates (unless it exists) and waits for one deployment of the line's endpoint. */
  *deploy(deploymentName: string, modelId: string, allowList?: readonly string[]): Gen<Outcome<LineLook>> {
    const started = yield* this.call(Activity.lineStartDeployment, {
      ...this.endpoint(),
      deploymentName,
      modelId,
      ...(allowList === undefined ? {} : { inferenceAllowList: allowList }),
    });
    if (started.kind !== 'ok') return started;
    return yield* this.until(
      (look) =>
        look.deployments.some((d) => d.name === deploymentName && d.provisioningState === 'Succeeded'),
      `deployment ${this.input.endpointName}/${deploymentName}`,
      deploymentName,
    );
  }

  /**
   * The endpoint takes one update at a time (ARM answers 409 while one runs): an update begun
   * before a crash, or a deployment's, is waited out on durable timers first.
   */
  *settled(what: string): Gen<Outcome<LineLook>> {
    return yield* this.until(
      (l) => !l.exists || l.provisioningState === 'Succeeded',
      `${what}: endpoint ${this.input.endpointName} busy`,
    );
  }

  *traffic(traffic: Readonly<Record<string, number>>): Gen<Outcome<LineLook>> {
    const ready = yield* this.settled('traffic');
    if (ready.kind !== 'ok') return ready;
    const set = yield* this.call(Activity.lineSetTraffic, { ...this.endpoint(), traffic });
    if (set.kind === 'ok') this.set({ traffic: set.value.traffic });
    return set;
  }

  /** Best effort: a deployment that takes no traffic is deleted (started); a failure is logged in history. */
  *removeDeployment(deploymentName: string, why: string): Gen<void> {
    const removed = yield* this.call(Activity.lineDeleteDeployment, { ...this.endpoint(), deploymentName });
    if (removed.kind !== 'ok')
      this.record(
        'failed',
        `could not delete deployment ${deploymentName} (${why}): ${removed.problem.message}`,
      );
  }

  *tags(tags: Readonly<Record<string, string | null>>): Gen<Outcome<LineLook>> {
    const ready = yield* this.settled('tags');
    if (ready.kind !== 'ok') return ready;
    return yield* this.call(Activity.lineSetTags, { ...this.endpoint(), tags });
  }

  *answer(request: RolloutRequest, result: RolloutResult): Gen<void> {
    this.outcomes[request.runId] = result;
    const keys = Object.keys(this.outcomes);
    for (const key of keys.slice(0, Math.max(0, keys.length - KEEP_OUTCOMES))) delete this.outcomes[key];
    this.publish();
    const notify = this.df.callActivityWithRetry(ClientActivity.notifyRun.name, retryOptions(), {
      runId: request.runId,
      result,
    });
    yield* this.wait(notify);
    // A run that no longer waits (or a notify that failed its retries) reads the outcome from the status.
  }

  private result(
    request: RolloutRequest,
    outcome: RolloutResult['outcome'],
    reason: string,
    extra: Partial<RolloutResult> = {},
  ): RolloutResult {
    return {
      outcome,
      line: this.input.line,
      endpoint: {
        name: this.input.endpointName,
        ...(this.view.endpoint.scoringUri === undefined ? {} : { scoringUri: this.view.endpoint.scoringUri }),
      },
      deployment: deploymentNameFor(request.modelVersion),
      reason,
      ...extra,
    };
  }

  /** The next request to process; when several rollouts wait, the newest goes and the others are superseded. */
  *takeNext(): Gen<LineRequest | undefined> {
    const first = this.pending.shift();
    if (first === undefined) return undefined;
    if (first.kind !== 'rollout') return first;
    const later = this.pending.filter((r): r is RolloutRequest => r.kind === 'rollout');
    const newest = later.at(-1) ?? first;
    const superseded = [first, ...later].filter((r) => r !== newest);
    this.pending = this.pending.filter((r) => r.kind !== 'rollout');
    for (const old of superseded) {
      const reason = `superseded by run ${newest.runId} (${newest.modelLabel}), which arrived later`;
      this.record('superseded', reason, old.runId);
      yield* this.answer(old, this.result(old, 'superseded', reason));
    }
    return newest;
  }

  // ---- the requests ---------------------------------------------------------------------------

  *rollout(request: RolloutRequest): Gen<void> {
    const done = this.outcomes[request.runId];
    if (done !== undefined) {
      yield* this.answer(request, done); // a resent request: answer it again
      return;
    }
    const champion = this.view.state === 'serving' ? this.view.champion : undefined;
    const deploymentName = deploymentNameFor(request.modelVersion);
    const model: LineModel = {
      model: request.modelId,
      label: request.modelLabel,
      deployment: deploymentName,
      runId: request.runId,
      ...(request.metrics === undefined ? {} : { metrics: request.metrics }),
    };
    if (champion === undefined || champion.deployment === deploymentName) {
      yield* this.first(request, model);
    } else {
      yield* this.replace(request, model, champion);
    }
  }

  /** No champion serving (a new line, a failed one or a parked one): deploy, test, route all traffic. */
  private *first(request: RolloutRequest, model: LineModel): Gen<void> {
    const before = this.view.state;
    const wasParked = before === 'parked';
    const startedAt = this.nowMs();
    this.set({ state: wasParked ? 'waking' : 'deploying', challenger: model });
    const steps = function* (this: Line): Gen<Outcome<SmokeTestOutput>> {
      const ensure = {
        ...this.endpoint(),
        ...(request.inferenceAllowList === undefined
          ? {}
          : { inferenceAllowList: request.inferenceAllowList }),
      };
      const endpoint = yield* this.call(Activity.lineEnsureEndpoint, ensure);
      if (endpoint.kind !== 'ok') return endpoint;
      // An endpoint still being deleted (an earlier first model that failed) is waited out, then made again.
      let ready = yield* this.until(
        (l) => l.provisioningState === 'Succeeded' || !l.exists,
        `endpoint ${this.input.endpointName}`,
      );
      if (ready.kind === 'ok' && !ready.value.exists) {
        const again = yield* this.call(Activity.lineEnsureEndpoint, ensure);
        if (again.kind !== 'ok') return again;
        ready = yield* this.until(
          (l) => l.provisioningState === 'Succeeded',
          `endpoint ${this.input.endpointName}`,
        );
      }
      if (ready.kind !== 'ok') return ready;
      if (ready.value.scoringUri !== undefined)
        this.set({ endpoint: { name: this.input.endpointName, scoringUri: ready.value.scoringUri } });
      const deployed = yield* this.deploy(model.deployment, model.model, request.inferenceAllowList);
      if (deployed.kind !== 'ok') return deployed;
      const smoke = yield* this.call(Activity.lineSmokeTest, {
        ...this.endpoint(),
        deploymentName: model.deployment,
        testPath: request.testPath,
      });
      if (smoke.kind !== 'ok') return smoke;
      const routed = yield* this.traffic({ [model.deployment]: 100 });
      if (routed.kind !== 'ok') return routed;
      const tagged = yield* this.tags({
        [Tag.champion]: model.model,
        [Tag.championDeployment]: model.deployment,
        [Tag.parkedSince]: null,
        [Tag.servingSince]: this.now(),
      });
      if (tagged.kind !== 'ok') return tagged;
      return smoke;
    }.call(this);
    const outcome = yield* steps;
    if (outcome.kind === 'ok') {
      this.set({
        state: 'serving',
        champion: model,
        challenger: undefined,
        parkedSince: undefined,
        estimatedSavedUsd: undefined,
        lastDeploySeconds: Math.round((this.nowMs() - startedAt) / 1000),
      });
      const reason = wasParked
        ? `${model.label} is serving (the line was parked)`
        : `${model.label} is the line's first model, serving 100%`;
      this.record(
        before === 'deploying' && this.view.history.length === 0 ? 'created' : 'rolledOut',
        reason,
        request.runId,
      );
      yield* this.answer(request, this.result(request, 'first', reason, { smokeTest: outcome.value }));
      return;
    }
    const problem = outcome.problem;
    yield* this.removeDeployment(model.deployment, 'its rollout failed');
    // A line that never served keeps nothing: its endpoint goes too (a later model makes it again).
    let endpointDeleted = false;
    if (!wasParked && this.view.champion === undefined) {
      const removed = yield* this.call(Activity.lineDeleteEndpoint, this.endpoint());
      endpointDeleted = removed.kind === 'ok' && removed.value.deleted;
    }
    const reason = `${model.label} did not deploy: ${problem.code}: ${problem.message}`;
    this.set({
      state: wasParked ? 'parked' : 'failed',
      challenger: undefined,
      ...(endpointDeleted ? { endpoint: { name: this.input.endpointName } } : {}),
    });
    this.record('failed', reason, request.runId);
    yield* this.answer(
      request,
      this.result(request, 'failed', reason, {
        ...(endpointDeleted ? { endpointDeleted } : {}),
        error: {
          code: problem.code,
          message: problem.message,
          ...(problem.details === undefined ? {} : { details: problem.details }),
        },
      }),
    );
  }

  /** A champion serves: the new model goes beside it at 0%, is tested, then takes the traffic; any failure rolls back. */
  private *replace(request: RolloutRequest, model: LineModel, champion: LineModel): Gen<void> {
    const { settings } = this.input;
    this.set({ state: 'rollingOut', challenger: model });
    let moved = false;
    const steps = function* (this: Line): Gen<Outcome<SmokeTestOutput>> {
      const deployed = yield* this.deploy(model.deployment, model.model, request.inferenceAllowList);
      if (deployed.kind !== 'ok') return deployed;
      const smoke = yield* this.call(Activity.lineSmokeTest, {
        ...this.endpoint(),
        deploymentName: model.deployment,
        testPath: request.testPath,
      });
      if (smoke.kind !== 'ok') return smoke;
      const compared = yield* this.compare(request, model, champion);
      if (compared.kind !== 'ok') return compared;
      if (settings.canaryPercent > 0 && settings.canaryPercent < 100) {
        moved = true;
        const canary = yield* this.traffic({
          [champion.deployment]: 100 - settings.canaryPercent,
          [model.deployment]: settings.canaryPercent,
        });
        if (canary.kind !== 'ok') return canary;
        this.log(`canary: ${settings.canaryPercent}% to ${model.deployment} for ${settings.bakeSeconds} s`);
        yield* this.sleep(settings.bakeSeconds);
        const again = yield* this.call(Activity.lineSmokeTest, {
          ...this.endpoint(),
          deploymentName: model.deployment,
          testPath: request.testPath,
        });
        if (again.kind !== 'ok') {
          return {
            kind: 'failed',
            problem: {
              code: 'ROLLOUT.CANARY_FAILED',
              message: `after the ${settings.bakeSeconds} s bake at ${settings.canaryPercent}%: ${again.problem.message}`,
            },
          };
        }
      }
      moved = true;
      const routed = yield* this.traffic({ [model.deployment]: 100, [champion.deployment]: 0 });
      if (routed.kind !== 'ok') return routed;
      const tagged = yield* this.tags({
        [Tag.champion]: model.model,
        [Tag.championDeployment]: model.deployment,
        [Tag.servingSince]: this.now(),
      });
      if (tagged.kind !== 'ok') return tagged;
      return smoke;
    }.call(this);
    const outcome = yield* steps;
    if (outcome.kind === 'ok') {
      this.set({ state: 'serving', champion: model, challenger: undefined });
      const reason = `${model.label} replaced ${champion.label}${settings.canaryPercent > 0 ? ` after a ${settings.canaryPercent}% canary` : ''}`;
      this.record('rolledOut', reason, request.runId);
      yield* this.answer(request, this.result(request, 'rolledOut', reason, { smokeTest: outcome.value }));
      // the old deployment drains (no traffic) before it is deleted
      yield* this.sleep(settings.drainSeconds);
      yield* this.removeDeployment(champion.deployment, `replaced by ${model.deployment}`);
      return;
    }
    const problem = outcome.problem;
    if (moved) {
      const back = yield* this.traffic({ [champion.deployment]: 100, [model.deployment]: 0 });
      if (back.kind !== 'ok')
        this.record(
          'failed',
          `could not route traffic back to ${champion.deployment}: ${back.problem.message}`,
          request.runId,
        );
    }
    yield* this.removeDeployment(model.deployment, 'rolled back');
    this.set({ state: 'serving', challenger: undefined });
    const reason = `${model.label} rolled back, ${champion.label} kept serving: ${problem.code}: ${problem.message}`;
    this.record('rolledBack', reason, request.runId);
    yield* this.answer(
      request,
      this.result(request, 'rolledBack', reason, {
        error: {
          code: problem.code,
          message: problem.message,
          ...(problem.details === undefined ? {} : { details: problem.details }),
        },
      }),
    );
  }

  /** The optional gate between the challenger and the champion (ROLLOUT_COMPARE). */
  private *compare(request: RolloutRequest, model: LineModel, champion: LineModel): Gen<Outcome<true>> {
    const { compare, compareMetric } = this.input.settings;
    if (compare === 'metrics') {
      const mine = metricValue(request.metrics, compareMetric);
      const theirs = metricValue(champion.metrics, compareMetric);
      if (mine === undefined || theirs === undefined) return { kind: 'ok', value: true };
      if (mine > theirs) {
        return {
          kind: 'failed',
          problem: {
            code: 'ROLLOUT.COMPARISON_FAILED',
            message: `${compareMetric} ${mine} of ${model.label} is worse (higher) than ${theirs} of ${champion.label}`,
          },
        };
      }
      return { kind: 'ok', value: true };
    }
    if (compare === 'heldout') {
      const scored = yield* this.call(Activity.lineHeldOut, {
        ...this.endpoint(),
        deployments: [champion.deployment, model.deployment],
        testPath: request.testPath,
        count: HELD_OUT_CONVERSATIONS,
      });
      if (scored.kind !== 'ok') return scored;
      const mine = scored.value.answered[model.deployment] ?? 0;
      const theirs = scored.value.answered[champion.deployment] ?? 0;
      if (mine < theirs) {
        return {
          kind: 'failed',
          problem: {
            code: 'ROLLOUT.COMPARISON_FAILED',
            message: `${model.label} answered ${mine} of ${scored.value.conversations} held-out conversations, ${champion.label} ${theirs}`,
          },
        };
      }
    }
    return { kind: 'ok', value: true };
  }

  *park(command: LineCommand): Gen<void> {
    const champion = this.view.champion;
    const servedSince = this.view.history
      .filter((h) => h.action === 'created' || h.action === 'rolledOut' || h.action === 'woken')
      .at(-1)?.at;
    if (command.decidedAt !== undefined && servedSince !== undefined && servedSince > command.decidedAt) {
      this.log(
        `dropped a park decided at ${command.decidedAt}: the line began serving again at ${servedSince}`,
      );
      return;
    }
    if (this.view.state === 'parked' || champion === undefined || this.view.state === 'failed') {
      this.log(`nothing to park (${this.view.state}): ${command.reason}`);
      return;
    }
    const routed = yield* this.traffic({});
    if (routed.kind !== 'ok') {
      this.record('failed', `park: could not take the traffic off: ${routed.problem.message}`);
      return;
    }
    for (const d of routed.value.deployments) yield* this.removeDeployment(d.name, 'the line is parked');
    const gone = yield* this.until(
      (l) => l.deployments.length === 0,
      `deleting the deployments of ${this.input.endpointName}`,
    );
    const at = this.now();
    yield* this.tags({
      [Tag.parkedSince]: at,
      [Tag.champion]: champion.model,
      [Tag.championDeployment]: champion.deployment,
    });
    this.set({ state: 'parked', parkedSince: at, traffic: {} });
    this.record(
      'parked',
      gone.kind === 'ok'
        ? command.reason
        : `${command.reason} (deletion still running: ${gone.problem.message})`,
    );
  }

  *wake(command: LineCommand): Gen<void> {
    const champion = this.view.champion;
    if (this.view.state !== 'parked' || champion === undefined) {
      this.log(`nothing to wake (${this.view.state}): ${command.reason}`);
      return;
    }
    const startedAt = this.nowMs();
    this.set({ state: 'waking' });
    const deployed = yield* this.deploy(champion.deployment, champion.model);
    const routed = deployed.kind === 'ok' ? yield* this.traffic({ [champion.deployment]: 100 }) : deployed;
    if (routed.kind !== 'ok') {
      yield* this.removeDeployment(champion.deployment, 'the wake failed');
      this.set({ state: 'parked' });
      this.record(
        'wakeFailed',
        `${champion.label} did not come back: ${routed.problem.code}: ${routed.problem.message}`,
      );
      return;
    }
    yield* this.tags({ [Tag.parkedSince]: null, [Tag.servingSince]: this.now() });
    this.set({
      state: 'serving',
      parkedSince: undefined,
      lastDeploySeconds: Math.round((this.nowMs() - startedAt) / 1000),
    });
    this.record('woken', `${champion.label} is serving again: ${command.reason}`);
  }

  *remove(command: LineCommand): Gen<void> {
    const deleted = yield* this.call(Activity.lineDeleteEndpoint, this.endpoint());
    if (deleted.kind !== 'ok') {
      this.record('failed', `delete: ${deleted.problem.message}`);
      return;
    }
    const gone = yield* this.until((l) => !l.exists, `deleting endpoint ${this.input.endpointName}`);
    this.deleted = true;
    this.set({ state: 'parked', traffic: {}, champion: undefined, challenger: undefined });
    this.record(
      'deleted',
      gone.kind === 'ok' ? command.reason : `${command.reason} (deletion still running)`,
    );
    // Rollouts still waiting have no line any more.
    for (const waiting of this.pending.filter((r): r is RolloutRequest => r.kind === 'rollout')) {
      const reason = `line '${this.input.line}' was deleted before this model's turn`;
      yield* this.answer(waiting, this.result(waiting, 'superseded', reason));
    }
    this.pending = [];
  }

  *process(request: LineRequest): Gen<void> {
    this.current = requestKey(request);
    this.publish();
    const before = this.view.history.length;
    if (request.kind === 'rollout') yield* this.rollout(request);
    else {
      if (request.kind === 'park') yield* this.park(request);
      else if (request.kind === 'wake') yield* this.wake(request);
      else yield* this.remove(request);
      this.handled = [...this.handled, request.requestId].slice(-KEEP_HANDLED);
    }
    this.current = undefined;
    this.publish();
    yield* this.announce(this.view.history.slice(before));
  }

  /**
   * Lifecycle events (line.rolledOut|parked|woken|deleted) for what this request did; best effort:
   * publishing never changes what the line does (src/domain/lifecycleEvents.ts builds them).
   */
  *announce(entries: readonly LineHistoryEntry[]): Gen<void> {
    const { hourlyCostUsd } = this.input.settings;
    const events = entries.flatMap((entry) =>
      lineEvents(
        this.view,
        entry,
        entry.action === 'parked' && hourlyCostUsd !== undefined
          ? { estimatedHourlyCostSavedUsd: hourlyCostUsd }
          : {},
      ),
    );
    if (events.length === 0) return;
    const publish = this.df.callActivityWithRetry(Activity.publishEvents.name, retryOptions(), { events });
    yield* this.wait(publish);
  }

  nextInput(): LineInput {
    return {
      line: this.input.line,
      endpointName: this.input.endpointName,
      settings: this.input.settings,
      view: this.view,
      pending: this.pending,
      outcomes: this.outcomes,
      handled: this.handled,
    };
  }
}

function metricValue(metrics: Readonly<Record<string, number>> | undefined, key: string): number | undefined {
  if (metrics === undefined) return undefined;
  if (metrics[key] !== undefined) return metrics[key];
  // run metrics are keyed `<child run>/<metric>`: the first child that logged it
  const found = Object.entries(metrics).find(([k]) => k.endsWith(`/${key}`));
  return found?.[1];
}

function* lineOrchestration(context: OrchestrationContext): Gen<LineView | undefined> {
  const line = new Line(context, context.df.getInput<LineInput>());
  // Idle until a request arrives; a duplicate or malformed one is dropped and the wait goes on.
  while (line.pending.length === 0) {
    const first = context.df.waitForExternalEvent(ExternalEvent.lineRequest);
    yield first;
    line.receive(first.result);
  }
  const next = yield* line.takeNext();
  if (next !== undefined) yield* line.process(next);
  if (line.deleted) return line.view;
  yield* line.drain();
  context.df.continueAsNew(line.nextInput());
  return undefined;
}

export const lineOrchestrator: OrchestrationHandler = lineOrchestration;
