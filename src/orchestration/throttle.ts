// Waiting out a throttle on a durable timer. An activity hands back `<SERVICE>.THROTTLED` with
// details.retryAfterSeconds when a service asked for longer than the activity retries can wait
// (src/domain/throttle.ts); the orchestrator then sleeps that long on a timer (no worker is held,
// no retry is spent) and calls again, within a total budget per call. Deterministic like every
// orchestrator file: the caller sets the timer from its replayed clock.
import type { Task } from 'durable-functions';
import type { DomainProblem } from '../domain/errors.js';
import { throttleWaitSeconds } from '../domain/throttle.js';

export interface ThrottleLimits {
  /** Longest single wait, whatever the service asks: it may be ready sooner than it says. */
  readonly maxWaitSeconds: number;
  /** Most one call waits in all before it fails with the throttle problem. */
  readonly maxTotalWaitSeconds: number;
}

export const THROTTLE_LIMITS: ThrottleLimits = Object.freeze({
  maxWaitSeconds: 60 * 60,
  maxTotalWaitSeconds: 6 * 60 * 60,
});

/** How one attempt ended: the shape of a step's outcome in ./fineTuneRun.ts. */
export type Attempt<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly problem: DomainProblem }
  | { readonly kind: 'canceled' };

type Gen<T> = Generator<Task, T, unknown>;

export interface ThrottleWaits {
  /**
   * Sleeps `seconds` on a durable timer set from the orchestration's replayed clock, racing
   * whatever ends the wait early (the run's CancelRequested); says which came first.
   */
  readonly sleep: (seconds: number) => Gen<'timer' | 'canceled' | 'task'>;
  /** Told before each wait (the run logs it). */
  readonly onWait?: (seconds: number, problem: DomainProblem) => void;
  readonly limits?: ThrottleLimits;
}

/**
 * Runs `attempt` until it ends other than in a long throttle: each throttle is waited out (capped
 * at maxWaitSeconds) and the attempt made again. A throttle asking for more than the budget left
 * fails at once with its own code, saying how long was waited; a cancel during a wait wins.
 */
export function* withThrottleWaits<T>(attempt: () => Gen<Attempt<T>>, waits: ThrottleWaits): Gen<Attempt<T>> {
  const limits = waits.limits ?? THROTTLE_LIMITS;
  let waitedSeconds = 0;
  for (;;) {
    const outcome = yield* attempt();
    if (outcome.kind !== 'failed') return outcome;
    const asked = throttleWaitSeconds(outcome.problem);
    if (asked === undefined) return outcome;
    if (waitedSeconds + asked > limits.maxTotalWaitSeconds) {
      return { kind: 'failed', problem: overBudget(outcome.problem, asked, waitedSeconds, limits) };
    }
    const seconds = Math.min(asked, limits.maxWaitSeconds);
    waits.onWait?.(seconds, outcome.problem);
    if ((yield* waits.sleep(seconds)) === 'canceled') return { kind: 'canceled' };
    waitedSeconds += seconds;
  }
}

function overBudget(
  problem: DomainProblem,
  askedSeconds: number,
  waitedSeconds: number,
  limits: ThrottleLimits,
): DomainProblem {
  const details = typeof problem.details === 'object' && problem.details !== null ? problem.details : {};
  return {
    code: problem.code,
    message:
      `${problem.message}; waiting another ${askedSeconds} s would pass the ${limits.maxTotalWaitSeconds} s ` +
      `a step waits out throttles (waited ${waitedSeconds} s): run it again later`,
    details: { ...details, waitedSeconds },
  };
}
