// Which thrown faults are long throttles an activity hands back as values, and which failures the
// orchestrator waits out (src/domain/throttle.ts).
import { describe, expect, it } from 'vitest';
import {
  LONG_THROTTLE_SECONDS,
  longThrottleProblem,
  retryAfterSecondsOf,
  throttleWaitSeconds,
} from '../../src/domain/throttle.js';

/** A fault shaped like the adapters' ServiceUnavailableError (src/adapters/errors.ts). */
function fault(
  code: string,
  details: unknown,
  message = 'PUT job ft-x: HTTP 429 TooManyRequests: slow down',
) {
  return Object.assign(new Error(message), {
    name: 'ServiceUnavailableError',
    code,
    details,
    retryable: true,
  });
}

describe('retryAfterSecondsOf', () => {
  it('reads a positive number of seconds from the details', () => {
    expect(retryAfterSecondsOf({ status: 429, retryAfterSeconds: 120 })).toBe(120);
  });

  it('is undefined without one, for zero, and for a value that is not a number', () => {
    expect(retryAfterSecondsOf({ status: 429 })).toBeUndefined();
    expect(retryAfterSecondsOf({ retryAfterSeconds: 0 })).toBeUndefined();
    expect(retryAfterSecondsOf({ retryAfterSeconds: '120' })).toBeUndefined();
    expect(retryAfterSecondsOf(undefined)).toBeUndefined();
  });
});

describe('longThrottleProblem', () => {
  it('turns a 429 asking for more than 30 s into <SERVICE>.THROTTLED with its message and details', () => {
    const details = {
      status: 429,
      serviceCode: 'TooManyRequests',
      operation: 'PUT job ft-x',
      retryAfterSeconds: 120,
    };
    expect(longThrottleProblem(fault('AZUREML.THROTTLED', details))).toEqual({
      code: 'AZUREML.THROTTLED',
      message: 'PUT job ft-x: HTTP 429 TooManyRequests: slow down',
      details,
    });
  });

  it('calls a 503 with a long Retry-After a throttle too', () => {
    const details = { status: 503, retryAfterSeconds: 90 };
    expect(longThrottleProblem(fault('STORAGE.UNAVAILABLE', details, 'busy'))).toEqual({
      code: 'STORAGE.THROTTLED',
      message: 'busy',
      details,
    });
  });

  it('leaves a throttle of 30 s or less to the activity retries', () => {
    expect(
      longThrottleProblem(fault('AZUREML.THROTTLED', { retryAfterSeconds: LONG_THROTTLE_SECONDS })),
    ).toBe(undefined);
  });

  it('leaves a throttle without Retry-After, and other faults, to the activity retries', () => {
    expect(longThrottleProblem(fault('AZUREML.THROTTLED', { status: 429 }))).toBeUndefined();
    expect(longThrottleProblem(fault('AZUREML.TIMEOUT', { retryAfterSeconds: 120 }))).toBeUndefined();
    expect(longThrottleProblem(new Error('socket hang up'))).toBeUndefined();
    expect(longThrottleProblem('not an error')).toBeUndefined();
  });

  it('ignores a code of no known service', () => {
    expect(longThrottleProblem(fault('NOPE.THROTTLED', { retryAfterSeconds: 120 }))).toBeUndefined();
  });
});

describe('throttleWaitSeconds', () => {
  it('is the Retry-After of a THROTTLED problem longer than 30 s', () => {
    expect(
      throttleWaitSeconds({ code: 'MLFLOW.THROTTLED', message: 'm', details: { retryAfterSeconds: 45 } }),
    ).toBe(45);
  });

  it('is undefined for a short throttle, a throttle without a wait, and any other code', () => {
    expect(
      throttleWaitSeconds({ code: 'MLFLOW.THROTTLED', message: 'm', details: { retryAfterSeconds: 30 } }),
    ).toBeUndefined();
    expect(throttleWaitSeconds({ code: 'MLFLOW.THROTTLED', message: 'm' })).toBeUndefined();
    expect(
      throttleWaitSeconds({ code: 'MLFLOW.UNAVAILABLE', message: 'm', details: { retryAfterSeconds: 45 } }),
    ).toBeUndefined();
  });
});
