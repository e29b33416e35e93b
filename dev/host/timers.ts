// Timer triggers on their NCRONTAB schedules. The schedule status (last/next run) is kept in the state
// dir like the host's timer monitor, so a host that was down when a run was due fires it once on start
// with `isPastDue: true`; `runOnStartup` fires once when the host starts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RegisteredFunction } from './coreApi.js';
import { writeFileAtomic } from './fsUtil.js';
import type { Invoker } from './invoker.js';
import type { Schedule } from './ncrontab.js';
import { parseNcrontab } from './ncrontab.js';

interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function startTimers(o: {
  functions: Map<string, RegisteredFunction>;
  invoker: Invoker;
  stateDir: string;
  log: (line: string) => void;
}): { stop(): void } {
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const fn of o.functions.values()) {
    const binding = Object.values(fn.metadata.bindings).find(
      (b) => b.type === 'timerTrigger' && b.direction === 'in',
    );
    if (!binding) continue;
    const name = fn.metadata.name;
    let schedule: Schedule;
    try {
      schedule = parseNcrontab(String(binding.schedule));
    } catch (e) {
      throw new Error(`${(e as Error).message} (timer function ${name})`);
    }
    const file = path.join(o.stateDir, 'timers', `${name}.json`);
    const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScheduleStatus) : undefined;
    let last = saved?.Last ?? new Date(0).toISOString();
    o.log(
      `timer: ${name} on "${schedule.expression}"${binding.runOnStartup === true ? ', runOnStartup' : ''}`,
    );

    const fire = async (isPastDue: boolean): Promise<void> => {
      const now = new Date();
      const next = schedule.next(now).toISOString();
      const status: ScheduleStatus = { Last: last, Next: next, LastUpdated: now.toISOString() };
      await o.invoker.invoke(fn, {
        trigger: {
          json: JSON.stringify({
            Schedule: { AdjustForDST: true },
            ScheduleStatus: status,
            IsPastDue: isPastDue,
          }),
        },
      });
      last = now.toISOString();
      writeFileAtomic(file, JSON.stringify({ Last: last, Next: next, LastUpdated: last }));
    };
    // One invocation at a time per timer, as the host's singleton lock does.
    let chain: Promise<void> = Promise.resolve();
    const enqueue = (isPastDue: boolean): void => {
      chain = chain.then(() => (stopped ? undefined : fire(isPastDue)));
    };
    const arm = (): void => {
      if (stopped) return;
      const at = schedule.next(new Date()).getTime();
      const wait = (): void => {
        const h = setTimeout(
          () => {
            handles.delete(h);
            if (Date.now() < at) {
              wait();
              return;
            }
            enqueue(false);
            arm();
          },
          Math.min(Math.max(at - Date.now(), 0), MAX_TIMEOUT_MS),
        );
        handles.add(h);
      };
      wait();
    };
    const pastDue = saved !== undefined && new Date(saved.Next).getTime() < Date.now();
    if (binding.runOnStartup === true || pastDue) enqueue(pastDue);
    arm();
  }
  return {
    stop() {
      stopped = true;
      for (const h of handles) clearTimeout(h);
      handles.clear();
    },
  };
}
