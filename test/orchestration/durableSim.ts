// Drives an orchestration through durable-functions' OWN replay (the handler df.app.orchestration
// registers, a fresh DummyOrchestrationContext per episode), playing the host's part: it appends
// the history events the Durable extension would (OrchestratorStarted, TaskScheduled,
// TaskCompleted/Failed, TimerCreated/Fired, EventRaised) and reads back the actions the library
// produced. Task ids follow the library's sequence numbering (one per activity, timer and retry
// timer, in scheduling order), so a wrong id would make the library itself reject the history.
import * as df from 'durable-functions';

/** HistoryEventType values (durable-functions/lib/src/history/HistoryEventType.js). */
const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

/** ActionType values (durable-functions/lib/src/actions/ActionType.js). */
const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  WhenAny: 11,
  WhenAll: 12,
} as const;

type HistoryEvent = Record<string, unknown> & { EventType: number; EventId: number; Timestamp: string };

interface RawAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: Date;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: RawAction[];
  retryOptions?: { maxNumberOfAttempts: number };
}

/** One scheduled leaf action, as the test reads it. */
export type Scheduled =
  | { kind: 'activity'; id: number; name: string; input: unknown }
  | { kind: 'timer'; id: number; fireAt: string; canceled: boolean }
  | { kind: 'wait'; event: string }
  | { kind: 'continueAsNew'; input: unknown };

interface PendingActivity {
  kind: 'activity';
  id: number;
  name: string;
  input: unknown;
  attempt: number;
  maxAttempts: number;
}
interface PendingTimer {
  kind: 'timer';
  id: number;
  fireAt: string;
  timerAction?: RawAction;
  /** A retry delay of callActivityWithRetry: when fired, the next attempt of `retryOf` starts. */
  retryOf?: PendingActivity;
}

export interface OrchestratorState {
  isDone: boolean;
  output?: unknown;
  customStatus?: unknown;
  error?: string;
  actions: RawAction[][];
}

type Handler = (trigger: unknown, context: df.OrchestrationContext) => Promise<OrchestratorState>;

/**
 * Activities the sim answers itself, at once, by default: the run index's bookkeeping
 * (fineTuneIndexRun, src/activities/runIndex.ts), which every step schedules and no flow decision
 * reads. They are kept out of `scheduled` and listed in `bookkeeping`; a test that drives them
 * itself passes `{ autoComplete: {} }`.
 */
export const DEFAULT_AUTO_COMPLETE: Readonly<Record<string, unknown>> = {
  fineTuneIndexRun: { ok: true, value: { startedAt: '2026-01-01T00:00:00.000Z' } },
};

/** A result to answer with, or a function that computes it from the activity's input (a real activity). */
export type AutoAnswer = unknown;

export interface DurableSimOptions {
  /** Activity name -> its answer: a value, or `(input) => Promise<value>` to run the real thing. */
  readonly autoComplete?: Readonly<Record<string, AutoAnswer>>;
}

export class DurableSim {
  readonly history: HistoryEvent[] = [];
  /** Every leaf action in scheduling order (what the orchestrator asked the host to do). */
  readonly scheduled: Scheduled[] = [];
  /** The auto-completed activities, in scheduling order (see DEFAULT_AUTO_COMPLETE). */
  readonly bookkeeping: Extract<Scheduled, { kind: 'activity' }>[] = [];
  state: OrchestratorState | undefined;
  /** The input the orchestration continued as new with (ContinueAsNew), if it did. */
  continuedWith: unknown;
  /** What the orchestrator logged in the last episode. */
  logs: string[] = [];
  private queued: HistoryEvent[] = [];
  private readonly pending = new Map<number, PendingActivity | PendingTimer>();
  private nextId = 0;
  /** Task id of each non-wait leaf action, in order (retry timers and re-attempts have no action). */
  private readonly leafIds: number[] = [];
  private actionCount = 0;
  private clock: number;
  private eventId = 0;

  constructor(
    private readonly handler: Handler,
    private readonly instanceId: string,
    private readonly input: unknown,
    startAt = '2026-01-01T00:00:00.000Z',
    options: DurableSimOptions = {},
  ) {
    this.clock = Date.parse(startAt);
    this.autoComplete = options.autoComplete ?? DEFAULT_AUTO_COMPLETE;
  }

  private readonly autoComplete: Readonly<Record<string, unknown>>;

  get now(): string {
    return new Date(this.clock).toISOString();
  }

  /** The first episode: ExecutionStarted. */
  async start(): Promise<OrchestratorState> {
    this.queued.push(
      this.event(EventType.ExecutionStarted, { Name: 'orchestrator', Input: JSON.stringify(this.input) }),
    );
    return this.episode();
  }

  /** Activities scheduled and not yet answered, oldest first. */
  pendingActivities(): PendingActivity[] {
    return [...this.pending.values()].filter((p): p is PendingActivity => p.kind === 'activity');
  }

  pendingTimers(): PendingTimer[] {
    return [...this.pending.values()].filter((p): p is PendingTimer => p.kind === 'timer');
  }

  /** Names of the activities scheduled so far, in order. */
  activityNames(): string[] {
    return this.scheduled.flatMap((s) => (s.kind === 'activity' ? [s.name] : []));
  }

  private take(name: string): PendingActivity {
    const found = this.pendingActivities().find((p) => p.name === name);
    if (found === undefined) {
      throw new Error(
        `no pending activity ${name}; pending: ${this.pendingActivities()
          .map((p) => p.name)
          .join(', ')}`,
      );
    }
    this.pending.delete(found.id);
    return found;
  }

  /** Queues the completion of the oldest pending `name` activity with `result`. */
  complete(name: string, result: unknown): this {
    const task = this.take(name);
    this.queued.push(
      this.event(EventType.TaskCompleted, { TaskScheduledId: task.id, Result: JSON.stringify(result) }),
    );
    return this;
  }

  /** Queues a thrown failure (a transient fault): the host schedules the retry delay. */
  fail(name: string, message: string): this {
    const task = this.take(name);
    this.queued.push(
      this.event(EventType.TaskFailed, {
        TaskScheduledId: task.id,
        Reason: message,
        Details: `Error: ${message}\n    at secret (/home/site/wwwroot/dist/src/activities/index.js:1:1)`,
      }),
    );
    if (task.maxAttempts > 0) {
      // RetryableTask tracks a retry timer (and, after it fires, the next attempt) under new ids.
      const retry: PendingTimer = { kind: 'timer', id: this.nextId++, fireAt: this.now, retryOf: task };
      this.pending.set(retry.id, retry);
    }
    return this;
  }

  /** Queues TimerFired for the oldest pending, not-cancelled timer and moves the clock to it. */
  fireTimer(): this {
    const timer = this.pendingTimers().find((t) => t.timerAction?.isCanceled !== true);
    if (timer === undefined) throw new Error('no pending timer');
    this.pending.delete(timer.id);
    this.clock = Math.max(this.clock, Date.parse(timer.fireAt));
    this.queued.push(this.event(EventType.TimerFired, { TimerId: timer.id, FireAt: timer.fireAt }));
    if (timer.retryOf !== undefined && timer.retryOf.attempt < timer.retryOf.maxAttempts) {
      const next: PendingActivity = {
        ...timer.retryOf,
        id: this.nextId++,
        attempt: timer.retryOf.attempt + 1,
      };
      this.pending.set(next.id, next);
    }
    return this;
  }

  raise(name: string, payload?: unknown): this {
    this.queued.push(
      this.event(EventType.EventRaised, {
        Name: name,
        Input: payload === undefined ? undefined : JSON.stringify(payload),
      }),
    );
    return this;
  }

  /** Moves the clock forward (the next episode's OrchestratorStarted time). */
  advance(seconds: number): this {
    this.clock += seconds * 1000;
    return this;
  }

  /**
   * Runs one episode with the queued events through the library's replay, then answers the
   * auto-completed activities it scheduled, each in a further episode at the same time (as a
   * host would within the same second), until none is pending.
   */
  async episode(): Promise<OrchestratorState> {
    const logs: string[] = [];
    let state = await this.oneEpisode(true, logs);
    for (;;) {
      const auto = this.pendingActivities().filter((p) => p.name in this.autoComplete);
      if (auto.length === 0) break;
      for (const task of auto) {
        const answer = this.autoComplete[task.name];
        this.complete(
          task.name,
          typeof answer === 'function'
            ? await (answer as (input: unknown) => Promise<unknown>)(task.input)
            : answer,
        );
      }
      state = await this.oneEpisode(false, logs);
    }
    this.logs = logs;
    return state;
  }

  private async oneEpisode(advance: boolean, logs: string[]): Promise<OrchestratorState> {
    if (advance) this.clock += 1000;
    this.history.push(this.event(EventType.OrchestratorStarted, {}), ...this.queued);
    this.queued = [];
    const trigger = {
      history: structuredClone(this.history),
      input: structuredClone(this.input),
      instanceId: this.instanceId,
      isReplaying: false,
      parentInstanceId: '',
      upperSchemaVersion: 3,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    const context = new df.DummyOrchestrationContext(
      'fineTuneOrchestrator',
      'test-invocation',
      (_level, ...args) => {
        logs.push(args.map(String).join(' '));
      },
    );
    this.state = await this.handler(trigger, context);
    const actions = this.state.actions[0] ?? [];
    for (const action of actions.slice(this.actionCount)) this.record(action);
    this.actionCount = actions.length;
    // Timers created earlier may be cancelled in this episode: the same replayed task, a new action object.
    this.refreshTimerActions(actions);
    this.history.push(this.event(EventType.OrchestratorCompleted, {}));
    return this.state;
  }

  private leaves(action: RawAction): RawAction[] {
    return action.actionType === ActionType.WhenAny || action.actionType === ActionType.WhenAll
      ? (action.compoundActions ?? []).flatMap((a) => this.leaves(a))
      : [action];
  }

  private record(action: RawAction): void {
    for (const leaf of this.leaves(action)) {
      if (leaf.actionType === ActionType.WaitForExternalEvent) {
        this.scheduled.push({ kind: 'wait', event: leaf.externalEventName ?? '' });
        continue;
      }
      if (leaf.actionType === ActionType.ContinueAsNew) {
        this.continuedWith =
          typeof leaf.input === 'string' ? JSON.parse(leaf.input) : structuredClone(leaf.input);
        this.scheduled.push({ kind: 'continueAsNew', input: this.continuedWith });
        continue;
      }
      const id = this.nextId++;
      this.leafIds.push(id);
      if (leaf.actionType === ActionType.CreateTimer) {
        const fireAt = new Date(leaf.fireAt ?? 0).toISOString();
        this.scheduled.push({ kind: 'timer', id, fireAt, canceled: leaf.isCanceled === true });
        this.pending.set(id, { kind: 'timer', id, fireAt, timerAction: leaf });
        this.history.push(this.event(EventType.TimerCreated, { FireAt: fireAt }, id));
      } else if (
        leaf.actionType === ActionType.CallActivity ||
        leaf.actionType === ActionType.CallActivityWithRetry
      ) {
        const name = leaf.functionName ?? '';
        const input: unknown =
          typeof leaf.input === 'string' ? JSON.parse(leaf.input) : structuredClone(leaf.input);
        if (name in this.autoComplete) this.bookkeeping.push({ kind: 'activity', id, name, input });
        else this.scheduled.push({ kind: 'activity', id, name, input });
        const maxAttempts = leaf.retryOptions?.maxNumberOfAttempts ?? 0;
        this.pending.set(id, { kind: 'activity', id, name, input, attempt: 1, maxAttempts });
        this.history.push(
          this.event(EventType.TaskScheduled, { Name: name, Input: JSON.stringify(input) }, id),
        );
      } else {
        throw new Error(`unexpected action type ${leaf.actionType}`);
      }
    }
  }

  private refreshTimerActions(actions: RawAction[]): void {
    const leaves = actions
      .flatMap((a) => this.leaves(a))
      .filter(
        (l) => l.actionType !== ActionType.WaitForExternalEvent && l.actionType !== ActionType.ContinueAsNew,
      );
    leaves.forEach((leaf, index) => {
      const id = this.leafIds[index];
      const timer = id === undefined ? undefined : this.pending.get(id);
      if (timer?.kind !== 'timer' || leaf.actionType !== ActionType.CreateTimer) return;
      timer.timerAction = leaf;
      const entry = this.scheduled.find((s) => s.kind === 'timer' && s.id === id);
      if (entry?.kind === 'timer') entry.canceled = leaf.isCanceled === true;
    });
  }

  private event(type: number, fields: Record<string, unknown>, eventId = -1): HistoryEvent {
    return {
      EventType: type,
      EventId: eventId === -1 ? this.eventId++ : eventId,
      IsPlayed: false,
      Timestamp: this.now,
      ...fields,
    };
  }
}
