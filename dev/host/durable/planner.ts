// What the Durable extension does with the actions an out-of-process orchestrator returns: it replays
// them as Durable Task Framework calls against the instance history, in order, so each scheduled task
// and timer gets the sequence number (EventId) the orchestrator's own replay expects, and whatever has
// no history event yet is new work. This is a small independent reading of that contract (activities and
// sub-orchestrations, their retries with timers, timers, external events, any/all): the replay runs
// in durable-functions; this only decides which activities and timers to start.
import type { Action, FailureDetails, HistoryEvent, RetryOptions } from './history.js';
import { ActionType, EventType } from './history.js';

export type Work =
  | { kind: 'activity'; id: number; name: string; input: string; failWith?: FailureDetails }
  | {
      kind: 'subOrchestration';
      id: number;
      name: string;
      /** Empty: the engine names the child `<parent>:<id>`. */
      instanceId: string;
      input: string;
      failWith?: FailureDetails;
    }
  | { kind: 'timer'; id: number; fireAt: string };

export class UnsupportedActionError extends Error {
  constructor(actionType: number) {
    super(`HOST.UNSUPPORTED_ACTION: the local host does not run durable action type ${actionType}`);
  }
}

class TaskFailure extends Error {
  constructor(readonly details: FailureDetails) {
    super(details.ErrorMessage);
  }
}

interface Deferred {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Activity input as the activity receives it: durable-functions JSON-encodes string inputs itself. */
export function activityInputJson(input: unknown): string {
  if (input === undefined) return 'null';
  return typeof input === 'string' ? input : JSON.stringify(input);
}

export function retryDelayMs(options: RetryOptions, attempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, attempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  return max !== undefined && max > 0 && delay > max ? max : delay;
}

export async function planWork(
  actions: readonly Action[],
  history: readonly HistoryEvent[],
): Promise<Work[]> {
  const scheduled = new Set<number>();
  const timers = new Set<number>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled) scheduled.add(e.EventId);
    if (e.EventType === EventType.SubOrchestrationInstanceCreated) scheduled.add(e.EventId);
    if (e.EventType === EventType.TimerCreated) timers.add(e.EventId);
  }
  const work: Work[] = [];
  const waiters = new Map<number, Deferred>();
  const eventWaiters = new Map<string, Deferred[]>();
  const bufferedEvents = new Map<string, unknown[]>();
  let seq = 0;
  let now = new Date(0);

  const waitFor = (id: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      waiters.set(id, { resolve, reject });
    });

  const callActivity = (name: string, input: unknown, failWith?: FailureDetails): Promise<unknown> => {
    const id = seq++;
    if (!scheduled.has(id)) {
      work.push({
        kind: 'activity',
        id,
        name,
        input: activityInputJson(input),
        ...(failWith ? { failWith } : {}),
      });
    }
    return waitFor(id);
  };
  const callSubOrchestrator = (action: Action, failWith?: FailureDetails): Promise<unknown> => {
    const id = seq++;
    if (!scheduled.has(id)) {
      work.push({
        kind: 'subOrchestration',
        id,
        name: action.functionName ?? '',
        instanceId: action.instanceId ?? '',
        input: JSON.stringify(action.input ?? null),
        ...(failWith ? { failWith } : {}),
      });
    }
    return waitFor(id);
  };
  const createTimer = (fireAt: Date): Promise<unknown> => {
    const id = seq++;
    if (!timers.has(id)) work.push({ kind: 'timer', id, fireAt: fireAt.toISOString() });
    return waitFor(id);
  };
  const waitForEvent = (name: string): Promise<unknown> => {
    const buffered = bufferedEvents.get(name);
    if (buffered && buffered.length > 0) return Promise.resolve(buffered.shift());
    return new Promise((resolve, reject) => {
      const list = eventWaiters.get(name) ?? [];
      list.push({ resolve, reject });
      eventWaiters.set(name, list);
    });
  };
  const callWithRetry = async (
    call: (failWith?: FailureDetails) => Promise<unknown>,
    options: RetryOptions,
  ): Promise<unknown> => {
    const firstAttemptAt = now.getTime();
    let lastFailure: TaskFailure | undefined;
    const expired = (): boolean =>
      options.retryTimeoutInMilliseconds !== undefined &&
      now.getTime() >= firstAttemptAt + options.retryTimeoutInMilliseconds;
    for (let attempt = 1; attempt <= options.maxNumberOfAttempts; attempt++) {
      try {
        // Past the retry timeout the remaining attempts fail at once with the last failure: the
        // orchestrator's replay still expects their events, but nothing runs.
        const skip = lastFailure !== undefined && expired() ? lastFailure.details : undefined;
        return await call(skip);
      } catch (e) {
        lastFailure = e as TaskFailure;
      }
      const delay = expired() ? 0 : retryDelayMs(options, attempt);
      await createTimer(new Date(now.getTime() + delay));
    }
    throw lastFailure ?? new Error('no attempt made');
  };
  const run = (action: Action): Promise<unknown> => {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return callActivity(action.functionName ?? '', action.input);
      case ActionType.CallActivityWithRetry:
        return callWithRetry(
          (failWith) => callActivity(action.functionName ?? '', action.input, failWith),
          action.retryOptions as RetryOptions,
        );
      case ActionType.CallSubOrchestrator:
        return callSubOrchestrator(action);
      case ActionType.CallSubOrchestratorWithRetry:
        return callWithRetry(
          (failWith) => callSubOrchestrator(action, failWith),
          action.retryOptions as RetryOptions,
        );
      case ActionType.CreateTimer:
        return createTimer(new Date(action.fireAt ?? 0));
      case ActionType.WaitForExternalEvent:
        return waitForEvent(action.externalEventName ?? '');
      case ActionType.WhenAll:
        return Promise.all((action.compoundActions ?? []).map(run));
      case ActionType.WhenAny:
        return new Promise((resolve) => {
          for (const child of action.compoundActions ?? []) void run(child).then(resolve, resolve);
        });
      case ActionType.ContinueAsNew:
        return Promise.resolve();
      default:
        return Promise.reject(new UnsupportedActionError(action.actionType));
    }
  };

  let unsupported: UnsupportedActionError | undefined;
  const main = async (): Promise<void> => {
    for (const action of actions) {
      try {
        await run(action);
      } catch (e) {
        if (e instanceof UnsupportedActionError) unsupported = e;
      }
    }
  };
  void main();
  await settle();
  for (const e of history) {
    switch (e.EventType) {
      case EventType.OrchestratorStarted:
        if (new Date(e.Timestamp) > now) now = new Date(e.Timestamp);
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.TimerFired: {
        const id = (e.EventType === EventType.TimerFired ? e.TimerId : e.TaskScheduledId) ?? -1;
        waiters.get(id)?.resolve(undefined);
        waiters.delete(id);
        break;
      }
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const id = e.TaskScheduledId ?? -1;
        waiters
          .get(id)
          ?.reject(new TaskFailure(e.FailureDetails ?? { ErrorType: 'Error', ErrorMessage: e.Reason ?? '' }));
        waiters.delete(id);
        break;
      }
      case EventType.EventRaised: {
        const name = e.Name ?? '';
        const waiter = eventWaiters.get(name)?.shift();
        if (waiter) waiter.resolve(undefined);
        else bufferedEvents.set(name, [...(bufferedEvents.get(name) ?? []), undefined]);
        break;
      }
      default:
        break;
    }
    await settle();
  }
  if (unsupported) throw unsupported;
  return work;
}

/** Lets every promise continuation run: the planner's "orchestration" is all microtasks. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
