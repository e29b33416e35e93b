// Runs orchestration instances: each "episode" hands the orchestrator function its history plus the
// new events (durable-functions replays it and returns actions), the planner turns the actions into
// new activities and timers, and their results come back as new events. Everything an instance needs
// to resume is in its persisted record, so a restarted host picks every non-terminal instance up.
import { randomUUID } from 'node:crypto';
import type { RegisteredFunction } from '../coreApi.js';
import type { Invoker } from '../invoker.js';
import { describeError, fromTypedData } from '../invoker.js';
import type { Action, FailureDetails, HistoryEvent } from './history.js';
import { ActionType, EventType } from './history.js';
import type { Work } from './planner.js';
import { planWork } from './planner.js';
import type { InstanceRecord, InstanceStore, RuntimeStatus } from './store.js';

/** What a change to an instance found: done, no such instance, or the instance (execution) is over. */
type LiveOutcome = 'ok' | 'notFound' | 'gone';
import { TERMINAL_STATUSES } from './store.js';

const OUT_OF_PROC_DATA = '\n\n$OutOfProcData$:';
/** durable-functions' newest replay schema (ReplaySchema.V4): actions come back as one list. */
const REPLAY_SCHEMA = 3;
/** Azure Storage provider limits; durable-functions' createTimer needs them in the trigger input. */
const MAXIMUM_SHORT_TIMER_DURATION = '6.00:00:00';
const LONG_RUNNING_TIMER_INTERVAL = '3.00:00:00';
/** setTimeout's ceiling; longer timers are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const STOP_TIMEOUT_MS = 5000;

interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export class InstanceExistsError extends Error {
  constructor(instanceId: string) {
    super(
      `DURABLE.INSTANCE_EXISTS: an instance with ID '${instanceId}' already exists and is not in a terminal state`,
    );
  }
}

export class UnknownOrchestratorError extends Error {
  constructor(name: string) {
    super(
      `DURABLE.UNKNOWN_ORCHESTRATOR: the function '${name}' doesn't exist or is not an orchestrator function`,
    );
  }
}

export interface EngineOptions {
  store: InstanceStore;
  invoker: Invoker;
  functions: Map<string, RegisteredFunction>;
  activityConcurrency: number;
  log: (line: string) => void;
}

export class DurableEngine {
  readonly #o: EngineOptions;
  readonly #locks = new Map<string, Promise<void>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<string>();
  readonly #activityQueue: (() => Promise<void>)[] = [];
  #activeActivities = 0;
  #stopped = false;
  #runningActivities: Promise<void>[] = [];

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  /** Resumes every non-terminal instance: pending activities re-run, timers re-armed, unread events replayed. */
  resumeAll(): void {
    for (const record of this.#o.store.all()) {
      if (TERMINAL_STATUSES.includes(record.runtimeStatus)) continue;
      this.#log(`resuming ${record.name} instance ${record.instanceId} (${record.runtimeStatus})`);
      const done = new Set<number>();
      const fired = new Set<number>();
      for (const e of [...record.history, ...record.inbox]) {
        if (
          e.EventType === EventType.TaskCompleted ||
          e.EventType === EventType.TaskFailed ||
          e.EventType === EventType.SubOrchestrationInstanceCompleted ||
          e.EventType === EventType.SubOrchestrationInstanceFailed
        )
          done.add(e.TaskScheduledId ?? -1);
        if (e.EventType === EventType.TimerFired) fired.add(e.TimerId ?? -1);
      }
      for (const e of record.history) {
        if (e.EventType === EventType.TaskScheduled && !done.has(e.EventId)) {
          this.#dispatch(record, {
            kind: 'activity',
            id: e.EventId,
            name: e.Name ?? '',
            input: e.Input ?? 'null',
            ...(e.FailureDetails ? { failWith: e.FailureDetails } : {}),
          });
        }
        if (e.EventType === EventType.SubOrchestrationInstanceCreated && !done.has(e.EventId)) {
          // The child may have finished while its outcome was not yet recorded here.
          const child = this.#o.store.get(e.InstanceId ?? '');
          if (!child) {
            this.#dispatch(record, {
              kind: 'subOrchestration',
              id: e.EventId,
              name: e.Name ?? '',
              instanceId: e.InstanceId ?? '',
              input: e.Input ?? 'null',
            });
          } else if (TERMINAL_STATUSES.includes(child.runtimeStatus)) {
            this.#notifyParent(child);
          }
        }
        if (e.EventType === EventType.TimerCreated && !fired.has(e.EventId)) {
          this.#dispatch(record, {
            kind: 'timer',
            id: e.EventId,
            fireAt: e.FireAt ?? new Date().toISOString(),
          });
        }
      }
      this.#requestEpisode(record.instanceId);
    }
  }

  async start(
    name: string,
    instanceId: string,
    inputJson: string,
    parent?: InstanceRecord['parent'],
  ): Promise<void> {
    const fn = this.#o.functions.get(name);
    if (!fn || !isTriggerOfType(fn, 'orchestrationTrigger')) throw new UnknownOrchestratorError(name);
    await this.#withLock(instanceId, () => {
      const existing = this.#o.store.get(instanceId);
      if (existing && !TERMINAL_STATUSES.includes(existing.runtimeStatus))
        throw new InstanceExistsError(instanceId);
      const now = new Date().toISOString();
      this.#o.store.save({
        instanceId,
        name,
        executionId: randomUUID(),
        input: inputJson,
        runtimeStatus: 'Pending',
        customStatus: null,
        output: null,
        createdTime: now,
        lastUpdatedTime: now,
        history: [],
        inbox: [executionStarted(name, inputJson)],
        ...(parent ? { parent } : {}),
      });
    });
    this.#requestEpisode(instanceId);
  }

  /** `notFound` / `gone` when the instance is unknown or no longer running (the API answers 404 / 410). */
  async raiseEvent(instanceId: string, eventName: string, inputJson: string): Promise<LiveOutcome> {
    return this.#addEvent(instanceId, {
      EventType: EventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: new Date().toISOString(),
      Name: eventName,
      Input: inputJson,
    });
  }

  async terminate(instanceId: string, reason: string): Promise<LiveOutcome> {
    return this.#withLiveInstance(instanceId, (record) => {
      record.history.push({ ...event(EventType.ExecutionTerminated), Input: JSON.stringify(reason) });
      this.#finish(record, 'Terminated', reason);
    });
  }

  /** A suspended instance keeps receiving events but does not run until resumed. */
  async suspend(instanceId: string): Promise<LiveOutcome> {
    return this.#setSuspended(instanceId, true);
  }

  async resume(instanceId: string): Promise<LiveOutcome> {
    const outcome = await this.#setSuspended(instanceId, false);
    if (outcome === 'ok') this.#requestEpisode(instanceId);
    return outcome;
  }

  #setSuspended(instanceId: string, suspended: boolean): Promise<LiveOutcome> {
    return this.#withLiveInstance(instanceId, (record) => {
      if (suspended) record.runtimeStatus = 'Suspended';
      else if (record.runtimeStatus === 'Suspended')
        record.runtimeStatus = record.history.length > 0 ? 'Running' : 'Pending';
      record.lastUpdatedTime = new Date().toISOString();
      this.#o.store.save(record);
      this.#log(`orchestration ${record.name} ${instanceId} ${record.runtimeStatus}`);
    });
  }

  async purge(instanceId: string): Promise<boolean> {
    let deleted = false;
    await this.#withLock(instanceId, () => {
      this.#cancelTimers(instanceId);
      deleted = this.#o.store.delete(instanceId);
    });
    return deleted;
  }

  /** Waits for queued episodes and running activities (tests and shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#activityQueue.length = 0;
    // Bounded: an activity that never returns must not keep the host from stopping.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#locks.values(), ...this.#runningActivities]),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  #log(line: string): void {
    this.#o.log(line);
  }

  /** `executionId`: the execution that produced the event (activities, timers); others are dropped. */
  async #addEvent(instanceId: string, e: HistoryEvent, executionId?: string): Promise<LiveOutcome> {
    const outcome = await this.#withLiveInstance(
      instanceId,
      (record) => {
        record.inbox.push(e);
        this.#o.store.save(record);
      },
      executionId,
    );
    if (outcome === 'ok') this.#requestEpisode(instanceId);
    return outcome;
  }

  /**
   * Runs `change` under the instance's lock if the instance exists and is still live (and, when
   * `executionId` is given, still that execution): 'notFound' / 'gone' otherwise.
   */
  async #withLiveInstance(
    instanceId: string,
    change: (record: InstanceRecord) => void,
    executionId?: string,
  ): Promise<LiveOutcome> {
    let outcome: LiveOutcome = 'ok';
    await this.#withLock(instanceId, () => {
      const record = this.#o.store.get(instanceId);
      if (!record) {
        outcome = 'notFound';
      } else if (
        TERMINAL_STATUSES.includes(record.runtimeStatus) ||
        (executionId && executionId !== record.executionId)
      ) {
        outcome = 'gone';
      } else {
        change(record);
      }
    });
    return outcome;
  }

  #withLock(instanceId: string, fn: () => void | Promise<void>): Promise<void> {
    const previous = this.#locks.get(instanceId) ?? Promise.resolve();
    const next = previous.then(fn);
    const tail = next.catch(() => undefined);
    this.#locks.set(instanceId, tail);
    void tail.then(() => {
      if (this.#locks.get(instanceId) === tail) this.#locks.delete(instanceId);
    });
    return next;
  }

  #requestEpisode(instanceId: string): void {
    if (this.#stopped) return;
    void this.#withLock(instanceId, () => this.#episode(instanceId)).catch((e: unknown) => {
      this.#log(`orchestration instance ${instanceId}: host error: ${describeError(e)}`);
    });
  }

  async #episode(instanceId: string): Promise<void> {
    const record = this.#o.store.get(instanceId);
    if (!record || TERMINAL_STATUSES.includes(record.runtimeStatus) || record.inbox.length === 0) return;
    if (record.runtimeStatus === 'Suspended') return;
    const fn = this.#o.functions.get(record.name);
    if (!fn) {
      this.#finish(record, 'Failed', `The orchestrator function '${record.name}' is not registered`);
      return;
    }
    const newEvents = record.inbox;
    const history: HistoryEvent[] = [
      ...record.history.map((e) => ({ ...e, IsPlayed: true })),
      event(EventType.OrchestratorStarted),
      ...newEvents.map((e) => ({ ...e, IsPlayed: false })),
    ];
    const triggerInput = {
      history,
      input: JSON.parse(record.input) as unknown,
      instanceId,
      isReplaying: record.history.length > 0,
      parentInstanceId: record.parent?.instanceId ?? null,
      upperSchemaVersion: REPLAY_SCHEMA,
      upperSchemaVersionNew: REPLAY_SCHEMA,
      maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
      longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const outcome = await this.#o.invoker.invoke(fn, {
      trigger: { json: JSON.stringify(triggerInput) },
      label: `instance ${instanceId}`,
    });
    record.history = history;
    record.inbox = [];
    if (record.runtimeStatus === 'Pending') record.runtimeStatus = 'Running';
    let state: OrchestratorState | undefined;
    let failure: string | undefined;
    if (outcome.ok) {
      state = fromTypedData(outcome.response.returnValue) as OrchestratorState | undefined;
    } else {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      const at = message.indexOf(OUT_OF_PROC_DATA);
      if (at >= 0) {
        state = JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorState;
        // The label's prefix is not the error (durable-functions passes a flag there); the state's error is.
        failure = state.error ?? message.slice(0, at);
      } else {
        failure = message;
      }
    }
    if (state && 'customStatus' in state) record.customStatus = state.customStatus ?? null;
    if (failure !== undefined || !state) {
      record.history.push(event(EventType.OrchestratorCompleted));
      record.history.push({
        ...event(EventType.ExecutionFailed),
        Reason: failure ?? 'no orchestrator state',
      });
      this.#finish(
        record,
        'Failed',
        `Orchestrator function '${record.name}' failed: ${failure ?? 'no state returned'}`,
      );
      return;
    }
    const actions = state.actions.flat();
    const continueAsNew = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
    if (state.isDone && continueAsNew) {
      const inputJson = continueAsNew.input === undefined ? 'null' : activityInput(continueAsNew.input);
      this.#cancelTimers(instanceId);
      record.history = [];
      record.executionId = randomUUID();
      record.input = inputJson;
      record.inbox = [
        executionStarted(record.name, inputJson),
        ...newEvents.filter((e) => e.EventType === EventType.EventRaised),
      ];
      record.runtimeStatus = 'Running';
      record.lastUpdatedTime = new Date().toISOString();
      this.#o.store.save(record);
      this.#log(`orchestration ${record.name} ${instanceId} continued as new`);
      this.#requestEpisode(instanceId);
      return;
    }
    if (state.isDone) {
      record.history.push(event(EventType.OrchestratorCompleted));
      record.history.push({
        ...event(EventType.ExecutionCompleted),
        Result: JSON.stringify(state.output ?? null),
      });
      this.#finish(record, 'Completed', state.output ?? null);
      return;
    }
    let work: Work[];
    try {
      work = await planWork(actions, history);
    } catch (e) {
      this.#finish(record, 'Failed', describeError(e));
      return;
    }
    for (const w of work) {
      if (w.kind === 'activity') {
        record.history.push({
          ...event(EventType.TaskScheduled, w.id),
          Name: w.name,
          Input: w.input,
          ...(w.failWith ? { FailureDetails: w.failWith } : {}),
        });
      } else if (w.kind === 'subOrchestration') {
        w.instanceId ||= `${instanceId}:${w.id}`;
        record.history.push({
          ...event(EventType.SubOrchestrationInstanceCreated, w.id),
          Name: w.name,
          InstanceId: w.instanceId,
          Input: w.input,
          ...(w.failWith ? { FailureDetails: w.failWith } : {}),
        });
      } else {
        record.history.push({ ...event(EventType.TimerCreated, w.id), FireAt: w.fireAt });
      }
    }
    record.history.push(event(EventType.OrchestratorCompleted));
    record.lastUpdatedTime = new Date().toISOString();
    this.#o.store.save(record);
    for (const w of work) this.#dispatch(record, w);
  }

  #finish(record: InstanceRecord, status: RuntimeStatus, output: unknown): void {
    record.runtimeStatus = status;
    record.output = output;
    record.inbox = [];
    record.lastUpdatedTime = new Date().toISOString();
    this.#o.store.save(record);
    this.#cancelTimers(record.instanceId);
    this.#log(`orchestration ${record.name} ${record.instanceId} ${status}`);
    this.#notifyParent(record);
  }

  /** A finished sub-orchestration's outcome becomes its parent's completion (or failure) event. */
  #notifyParent(child: InstanceRecord): void {
    if (!child.parent) return;
    const { instanceId, executionId, taskId } = child.parent;
    const outcome: HistoryEvent =
      child.runtimeStatus === 'Completed'
        ? {
            ...event(EventType.SubOrchestrationInstanceCompleted),
            Result: JSON.stringify(child.output ?? null),
          }
        : {
            ...failed({ ErrorType: 'Error', ErrorMessage: String(child.output) }),
            EventType: EventType.SubOrchestrationInstanceFailed,
          };
    void this.#addEvent(instanceId, { ...outcome, TaskScheduledId: taskId }, executionId);
  }

  #cancelTimers(instanceId: string): void {
    for (const [key, t] of this.#timers) {
      if (key.startsWith(`${instanceId}\u0000`)) {
        clearTimeout(t);
        this.#timers.delete(key);
      }
    }
  }

  #dispatch(record: InstanceRecord, work: Work): void {
    const { instanceId, executionId } = record;
    const key = `${instanceId}\u0000${executionId}\u0000${work.kind}\u0000${work.id}`;
    if (this.#inFlight.has(key) || this.#stopped) return;
    if (work.kind === 'timer') {
      this.#armTimer(instanceId, executionId, key, work.id, work.fireAt);
      return;
    }
    if (work.kind === 'subOrchestration') {
      this.#startChild(record, work);
      return;
    }
    this.#inFlight.add(key);
    this.#activityQueue.push(async () => {
      try {
        const completion = await this.#runActivity(instanceId, work);
        await this.#addEvent(instanceId, { ...completion, TaskScheduledId: work.id }, executionId);
      } finally {
        this.#inFlight.delete(key);
      }
    });
    this.#pumpActivities();
  }

  #startChild(parent: InstanceRecord, work: Extract<Work, { kind: 'subOrchestration' }>): void {
    const fail = (details: FailureDetails): void => {
      void this.#addEvent(
        parent.instanceId,
        { ...failed(details), EventType: EventType.SubOrchestrationInstanceFailed, TaskScheduledId: work.id },
        parent.executionId,
      );
    };
    if (work.failWith) {
      fail(work.failWith);
      return;
    }
    const ref = { instanceId: parent.instanceId, executionId: parent.executionId, taskId: work.id };
    this.start(work.name, work.instanceId, work.input, ref).catch((e: unknown) =>
      fail({ ErrorType: 'Error', ErrorMessage: describeError(e) }),
    );
  }

  #pumpActivities(): void {
    while (this.#activeActivities < this.#o.activityConcurrency && this.#activityQueue.length > 0) {
      const job = this.#activityQueue.shift() as () => Promise<void>;
      this.#activeActivities++;
      const running = job()
        .catch((e: unknown) => this.#log(`activity dispatch error: ${describeError(e)}`))
        .finally(() => {
          this.#activeActivities--;
          this.#runningActivities = this.#runningActivities.filter((p) => p !== running);
          this.#pumpActivities();
        });
      this.#runningActivities.push(running);
    }
  }

  async #runActivity(instanceId: string, work: Extract<Work, { kind: 'activity' }>): Promise<HistoryEvent> {
    if (work.failWith) return failed(work.failWith);
    const fn = this.#o.functions.get(work.name);
    if (!fn || !isTriggerOfType(fn, 'activityTrigger')) {
      return failed({
        ErrorType: 'Error',
        ErrorMessage: `The activity function '${work.name}' doesn't exist`,
      });
    }
    const outcome = await this.#o.invoker.invoke(fn, {
      trigger: { json: work.input },
      label: `instance ${instanceId} task ${work.id}`,
    });
    if (outcome.ok) {
      const value = fromTypedData(outcome.response.returnValue);
      return { ...event(EventType.TaskCompleted), Result: JSON.stringify(value ?? null) };
    }
    return failed(toFailureDetails(outcome.error));
  }

  #armTimer(instanceId: string, executionId: string, key: string, timerId: number, fireAt: string): void {
    const delay = new Date(fireAt).getTime() - Date.now();
    const t = setTimeout(
      () => {
        this.#timers.delete(key);
        if (new Date(fireAt).getTime() > Date.now()) {
          this.#armTimer(instanceId, executionId, key, timerId, fireAt);
          return;
        }
        void this.#addEvent(
          instanceId,
          { ...event(EventType.TimerFired), TimerId: timerId, FireAt: fireAt },
          executionId,
        );
      },
      Math.min(Math.max(delay, 0), MAX_TIMEOUT_MS),
    );
    this.#timers.set(key, t);
  }
}

function event(type: number, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date().toISOString() };
}

function executionStarted(name: string, inputJson: string): HistoryEvent {
  return { ...event(EventType.ExecutionStarted), Name: name, Input: inputJson };
}

function failed(details: FailureDetails): HistoryEvent {
  return {
    ...event(EventType.TaskFailed),
    Reason: details.ErrorMessage,
    Details: details.ErrorType,
    FailureDetails: details,
  };
}

/** An activity error as failure details; errors serialized by an exception properties provider pass through. */
function toFailureDetails(error: unknown): FailureDetails {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(message) as Partial<FailureDetails>;
    if (typeof parsed.ErrorType === 'string' && typeof parsed.ErrorMessage === 'string')
      return parsed as FailureDetails;
  } catch {
    // Not serialized details: a plain error message.
  }
  return {
    ErrorType: error instanceof Error ? error.name : 'Error',
    ErrorMessage: message,
    IsNonRetriable: false,
  };
}

function activityInput(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input);
}

export function isTriggerOfType(fn: RegisteredFunction, type: string): boolean {
  return Object.values(fn.metadata.bindings).some((b) => b.type === type && b.direction === 'in');
}
