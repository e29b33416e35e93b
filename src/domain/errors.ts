// Expected failures are values with a stable code and a message a user can act on.
// One place (the HTTP layer) maps codes to status codes; activities rethrow them as
// non-retryable failures so durable retries are spent only on transient faults.

export interface DomainProblem {
  readonly code: string;
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
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
