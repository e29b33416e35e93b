// A throttle that outlasts the retries. A service that answers 429/503 with a Retry-After is
// retried in-process up to 30 s (src/adapters/http.ts), then by the activity retries (5 attempts
// from 5 s, doubling: about 75 s in all, src/orchestration/fineTuneRun.ts). A longer Retry-After
// would use those up and fail the run, so the activity hands it back as a value with this code,
// and the orchestrator waits that long on a durable timer instead (src/orchestration/throttle.ts).
import { isErrorCode, type ErrorCode } from './errorCodes.js';
import type { DomainProblem } from './errors.js';

/** A Retry-After longer than this is waited out on a durable timer, not by the activity retries. */
export const LONG_THROTTLE_SECONDS = 30;

const TRANSIENT_SUFFIX = /^([A-Z]+)\.(THROTTLED|UNAVAILABLE)$/;

/** The Retry-After (whole seconds) carried in a failure's details, when there is one. */
export function retryAfterSecondsOf(details: unknown): number | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const value = (details as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * What a transient fault thrown by an adapter becomes when the service asked for a wait longer
 * than LONG_THROTTLE_SECONDS: `<SERVICE>.THROTTLED` (a 503 with Retry-After is a throttle too)
 * with the service's message and details. Undefined for anything else, which stays thrown.
 */
export function longThrottleProblem(error: unknown): DomainProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, details } = error as Error & { code?: unknown; details?: unknown };
  const match = typeof code === 'string' ? TRANSIENT_SUFFIX.exec(code) : null;
  const throttled = match === null ? undefined : `${match[1]}.THROTTLED`;
  if (throttled === undefined || !isErrorCode(throttled)) return undefined;
  const seconds = retryAfterSecondsOf(details);
  if (seconds === undefined || seconds <= LONG_THROTTLE_SECONDS) return undefined;
  return { code: throttled, message: error.message, details };
}

/** The wait a failure asks the orchestrator for: a long throttle handed back by an activity. */
export function throttleWaitSeconds(problem: DomainProblem): number | undefined {
  if (!isThrottledCode(problem.code)) return undefined;
  const seconds = retryAfterSecondsOf(problem.details);
  return seconds === undefined || seconds <= LONG_THROTTLE_SECONDS ? undefined : seconds;
}

const isThrottledCode = (code: ErrorCode): boolean => code.endsWith('.THROTTLED');
