import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegisteredFunction } from '../../../dev/host/coreApi.js';
import type { InvocationInput, Invoker } from '../../../dev/host/invoker.js';
import { startTimers } from '../../../dev/host/timers.js';
import { tempDir, waitFor } from './fixture.js';

// The invoker is replaced by a recorder here: these tests are about when timers fire and with what
// payload; invoking through the library is covered by the host tests.
function recorder(): { invoker: Invoker; calls: Record<string, unknown>[] } {
  const calls: Record<string, unknown>[] = [];
  const invoker = {
    invoke: (_fn: RegisteredFunction, input: InvocationInput) => {
      calls.push(JSON.parse(input.trigger.json ?? 'null') as Record<string, unknown>);
      return Promise.resolve({ ok: true, invocationId: 'x', response: {}, durationMs: 0 });
    },
  } as unknown as Invoker;
  return { invoker, calls };
}

function timerFunction(schedule: string, runOnStartup = false): Map<string, RegisteredFunction> {
  const fn: RegisteredFunction = {
    metadata: {
      name: 'tick',
      bindings: { timer: { type: 'timerTrigger', direction: 'in', schedule, runOnStartup } },
    },
    callback: () => undefined,
  };
  return new Map([['tick', fn]]);
}

describe('timer triggers', () => {
  it('fires on the schedule with the worker payload shape and records the schedule status', async () => {
    const stateDir = tempDir('timers');
    const { invoker, calls } = recorder();
    const timers = startTimers({
      functions: timerFunction('*/1 * * * * *'),
      invoker,
      stateDir,
      log: () => undefined,
    });
    await waitFor('two firings', () => (calls.length >= 2 ? true : undefined), 5000);
    timers.stop();
    expect(calls[0]).toMatchObject({ Schedule: { AdjustForDST: true }, IsPastDue: false });
    const status = (calls[1] as { ScheduleStatus: { Last: string; Next: string } }).ScheduleStatus;
    expect(new Date(status.Next).getTime()).toBeGreaterThan(new Date(status.Last).getTime());
    const saved = JSON.parse(readFileSync(path.join(stateDir, 'timers', 'tick.json'), 'utf8')) as {
      Next: string;
    };
    expect(saved.Next).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('fires once at start with isPastDue when the host was down at the scheduled time', async () => {
    const stateDir = tempDir('timers');
    mkdirSync(path.join(stateDir, 'timers'), { recursive: true });
    const past = new Date(Date.now() - 3600_000).toISOString();
    writeFileSync(
      path.join(stateDir, 'timers', 'tick.json'),
      JSON.stringify({ Last: past, Next: past, LastUpdated: past }),
    );
    const { invoker, calls } = recorder();
    const timers = startTimers({
      functions: timerFunction('0 0 0 1 Jan *'),
      invoker,
      stateDir,
      log: () => undefined,
    });
    await waitFor('the past-due firing', () => (calls.length >= 1 ? true : undefined));
    timers.stop();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ IsPastDue: true, ScheduleStatus: { Last: past } });
  });

  it('runOnStartup fires once at start, not past due', async () => {
    const { invoker, calls } = recorder();
    const timers = startTimers({
      functions: timerFunction('0 0 0 1 Jan *', true),
      invoker,
      stateDir: tempDir('timers'),
      log: () => undefined,
    });
    await waitFor('the startup firing', () => (calls.length >= 1 ? true : undefined));
    timers.stop();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ IsPastDue: false });
  });

  it('refuses an invalid schedule at start, naming it', () => {
    const { invoker } = recorder();
    expect(() =>
      startTimers({
        functions: timerFunction('*/5 * * * *'),
        invoker,
        stateDir: tempDir('timers'),
        log: () => undefined,
      }),
    ).toThrow(
      'TIMER.INVALID_SCHEDULE: "*/5 * * * *": expected 6 fields (second minute hour day month day-of-week), got 5 (timer function tick)',
    );
  });
});
