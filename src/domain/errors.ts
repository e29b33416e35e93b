// Expected failures are values with a stable code and a message a user can act on. Codes come
// from the one table in ./errorCodes.ts (with their HTTP status); activities return these as
// values so durable retries are spent only on transient faults.
import type { ErrorCode } from './errorCodes.js';

export type { ErrorCode } from './errorCodes.js';

export interface DomainProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
}

export type Result<T, E = DomainProblem> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** A failure that retrying cannot fix (bad input, a rule the user must act on, a 4xx). */
export class DomainError extends Error implements DomainProblem {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
