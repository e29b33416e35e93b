import { describe, expect, it } from 'vitest';
import type { Action, HistoryEvent } from '../../../dev/host/durable/history.js';
import { ActionType, EventType } from '../../../dev/host/durable/history.js';
import { planWork, retryDelayMs } from '../../../dev/host/durable/planner.js';

const T0 = '2026-01-01T00:00:00.000Z';
const ev = (type: number, extra: Partial<HistoryEvent> = {}, at = T0): HistoryEvent => ({
  EventType: type,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at,
  ...extra,
});
const started = [
  ev(EventType.OrchestratorStarted),
  ev(EventType.ExecutionStarted, { Name: 'o', Input: 'null' }),
];
const call = (name: string, input: unknown = null): Action => ({
  actionType: ActionType.CallActivity,
  functionName: name,
  input,
});

describe('planWork (which activities and timers a replay asks for)', () => {
  it('schedules the first activity with sequence number 0 and JSON input', async () => {
    expect(await planWork([call('a', { x: 1 })], started)).toEqual([
      { kind: 'activity', id: 0, name: 'a', input: '{"x":1}' },
    ]);
  });

  it('passes string inputs through as the JSON durable-functions already made of them', async () => {
    expect(await planWork([call('a', '"hi"')], started)).toEqual([
      { kind: 'activity', id: 0, name: 'a', input: '"hi"' },
    ]);
  });

  it('schedules nothing already in the history, and the next task after a completion', async () => {
    const history = [
      ...started,
      ev(EventType.TaskScheduled, { EventId: 0, Name: 'a' }),
      ev(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' }),
    ];
    expect(await planWork([call('a'), call('b')], history)).toEqual([
      { kind: 'activity', id: 1, name: 'b', input: 'null' },
    ]);
    expect(await planWork([call('a')], history)).toEqual([]);
  });

  it('numbers the children of Task.all / Task.any depth first; external events take no number', async () => {
    const actions: Action[] = [
      {
        actionType: ActionType.WhenAny,
        compoundActions: [
          { actionType: ActionType.CreateTimer, fireAt: '2026-01-01T00:01:00.000Z' },
          { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Go' },
          { actionType: ActionType.WhenAll, compoundActions: [call('x'), call('y')] },
        ],
      },
    ];
    expect(await planWork(actions, started)).toEqual([
      { kind: 'timer', id: 0, fireAt: '2026-01-01T00:01:00.000Z' },
      { kind: 'activity', id: 1, name: 'x', input: 'null' },
      { kind: 'activity', id: 2, name: 'y', input: 'null' },
    ]);
  });

  it('continues after Task.any as soon as one child settles', async () => {
    const actions: Action[] = [
      {
        actionType: ActionType.WhenAny,
        compoundActions: [
          { actionType: ActionType.CreateTimer, fireAt: '2026-01-01T00:01:00.000Z' },
          { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Go' },
        ],
      },
      call('after'),
    ];
    const history = [
      ...started,
      ev(EventType.TimerCreated, { EventId: 0, FireAt: '2026-01-01T00:01:00.000Z' }),
      ev(EventType.OrchestratorStarted),
      ev(EventType.EventRaised, { Name: 'Go', Input: '1' }),
    ];
    expect(await planWork(actions, history)).toEqual([
      { kind: 'activity', id: 1, name: 'after', input: 'null' },
    ]);
  });

  it('gives an external event raised early to the wait that comes later', async () => {
    const history = [
      ...started,
      ev(EventType.EventRaised, { Name: 'Go', Input: '1' }),
      ev(EventType.TaskScheduled, { EventId: 0, Name: 'a' }),
      ev(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' }),
    ];
    const actions: Action[] = [
      call('a'),
      { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Go' },
      call('b'),
    ];
    expect(await planWork(actions, history)).toEqual([{ kind: 'activity', id: 1, name: 'b', input: 'null' }]);
  });

  describe('callActivityWithRetry', () => {
    const retry: Action = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'f',
      input: null,
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3, backoffCoefficient: 2 },
    };
    const failure = { ErrorType: 'Error', ErrorMessage: 'nope' };

    it('after a failure schedules the retry timer at now + first interval', async () => {
      const history = [
        ...started,
        ev(EventType.TaskScheduled, { EventId: 0, Name: 'f' }),
        ev(EventType.OrchestratorStarted, {}, '2026-01-01T00:00:05.000Z'),
        ev(EventType.TaskFailed, { TaskScheduledId: 0, FailureDetails: failure }),
      ];
      expect(await planWork([retry], history)).toEqual([
        { kind: 'timer', id: 1, fireAt: '2026-01-01T00:00:06.000Z' },
      ]);
    });

    it('after the retry timer fires schedules the next attempt; backs off by the coefficient', async () => {
      const history = [
        ...started,
        ev(EventType.TaskScheduled, { EventId: 0, Name: 'f' }),
        ev(EventType.TaskFailed, { TaskScheduledId: 0, FailureDetails: failure }),
        ev(EventType.TimerCreated, { EventId: 1 }),
        ev(EventType.TimerFired, { TimerId: 1 }),
      ];
      expect(await planWork([retry], history)).toEqual([
        { kind: 'activity', id: 2, name: 'f', input: 'null' },
      ]);
      const failedTwice = [
        ...history,
        ev(EventType.TaskScheduled, { EventId: 2, Name: 'f' }),
        ev(EventType.TaskFailed, { TaskScheduledId: 2, FailureDetails: failure }),
      ];
      expect(await planWork([retry], failedTwice)).toEqual([
        { kind: 'timer', id: 3, fireAt: '2026-01-01T00:00:02.000Z' },
      ]);
    });

    it('past the retry timeout, fails the remaining attempts at once without running them', async () => {
      const timed: Action = {
        ...retry,
        retryOptions: { ...retry.retryOptions!, retryTimeoutInMilliseconds: 500 },
      };
      const history = [
        ...started,
        ev(EventType.TaskScheduled, { EventId: 0, Name: 'f' }),
        ev(EventType.OrchestratorStarted, {}, '2026-01-01T00:00:01.000Z'),
        ev(EventType.TaskFailed, { TaskScheduledId: 0, FailureDetails: failure }),
      ];
      expect(await planWork([timed], history)).toEqual([
        { kind: 'timer', id: 1, fireAt: '2026-01-01T00:00:01.000Z' },
      ]);
      history.push(ev(EventType.TimerCreated, { EventId: 1 }), ev(EventType.TimerFired, { TimerId: 1 }));
      expect(await planWork([timed], history)).toEqual([
        { kind: 'activity', id: 2, name: 'f', input: 'null', failWith: failure },
      ]);
    });

    it('computes delays with backoff capped by the maximum interval', () => {
      const o = {
        firstRetryIntervalInMilliseconds: 100,
        maxNumberOfAttempts: 5,
        backoffCoefficient: 3,
        maxRetryIntervalInMilliseconds: 500,
      };
      expect([1, 2, 3].map((a) => retryDelayMs(o, a))).toEqual([100, 300, 500]);
    });
  });

  it('rejects actions the local host does not run (entities), by name', async () => {
    await expect(
      planWork([{ actionType: ActionType.CallEntity, functionName: 'e' }], started),
    ).rejects.toThrow('HOST.UNSUPPORTED_ACTION: the local host does not run durable action type 7');
  });

  it('numbers sub-orchestrations like activities and waits for their completion events', async () => {
    const sub: Action = {
      actionType: ActionType.CallSubOrchestrator,
      functionName: 'child',
      input: { a: 1 },
    };
    expect(await planWork([sub, call('after')], started)).toEqual([
      { kind: 'subOrchestration', id: 0, name: 'child', instanceId: '', input: '{"a":1}' },
    ]);
    const history = [
      ...started,
      ev(EventType.SubOrchestrationInstanceCreated, { EventId: 0, Name: 'child', InstanceId: 'p:0' }),
      ev(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: 0, Result: '1' }),
    ];
    expect(await planWork([sub, call('after')], history)).toEqual([
      { kind: 'activity', id: 1, name: 'after', input: 'null' },
    ]);
  });
});
