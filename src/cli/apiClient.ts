// The HTTP API (docs/contracts.md "HTTP API") as the operator commands call it: the function key
// in the `x-functions-key` header only (never in a URL, never in a message), JSON in and out, and
// every failure turned into one of two errors the commands map to exit codes: the API's own
// `{error: {code, message, details?}}` answer (ApiError), or no answer at all (ApiUnreachable).
import { ExitCode, type CliIo } from './args.js';
import type { ApiTarget } from './connection.js';
import type { ErrorCode } from '../domain/errorCodes.js';

const API_UNREACHABLE: ErrorCode = 'CLI.API_UNREACHABLE';
const UNEXPECTED_ANSWER: ErrorCode = 'CLI.UNEXPECTED_ANSWER';

/** A request the API does not answer in this long is reported, not waited on forever. */
const REQUEST_TIMEOUT_MS = 30_000;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ApiUnreachable extends Error {
  override name = 'ApiUnreachable';
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface CallOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

function errorOf(status: number, body: unknown, text: string, request: string): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return new ApiError(status, error.code, error.message, error.details);
  }
  // Not this API's error shape: a gateway, the host's own 401, a proxy page. First line only.
  const first = text.split('\n', 1)[0]?.slice(0, 200) ?? '';
  const shown = first === '' ? '' : `: ${first}`;
  // A bare 404 is a route this app does not have: another app at that URL, or an older version.
  const route =
    status === 404 ? ` (no such route: ${request}; is the URL this app's, and the app this version?)` : '';
  return new ApiError(status, UNEXPECTED_ANSWER, `answered ${status}${shown}${route}`);
}

export class ApiClient {
  constructor(
    private readonly target: ApiTarget,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The URL of an API path, e.g. `/api/runs` (for messages: it never carries the key). */
  url(path: string, query?: CallOptions['query']): string {
    const url = new URL(`${this.target.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.href;
  }

  /** One call; a status of 300 or more is thrown as ApiError, no answer as ApiUnreachable. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T>> {
    const url = this.url(path, options.query);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.target.key === undefined ? {} : { 'x-functions-key': this.target.key }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer in ${REQUEST_TIMEOUT_MS / 1000} s`
          : typeof cause === 'string'
            ? cause
            : (error as Error).message;
      throw new ApiUnreachable(`${method} ${url}: ${why}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status >= 300) throw errorOf(response.status, body, text, `${method} ${url}`);
    if (body === undefined && text !== '') {
      throw new ApiUnreachable(`${method} ${url}: the answer is not JSON (is this the autopilot API?)`);
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }
}

/**
 * Exit code of a failed call: the caller's mistake (a bad body, an unknown run or line, a run that
 * already ended) is 1; a refused key, a server fault or no answer is 2.
 */
export function exitCodeOf(error: ApiError | ApiUnreachable): number {
  if (error instanceof ApiUnreachable) return ExitCode.usage;
  return error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 403
    ? ExitCode.invalidInput
    : ExitCode.usage;
}

function hint(error: ApiError | ApiUnreachable): string {
  if (error instanceof ApiUnreachable) {
    return ' (is the app running? a local stack is started with npm start)';
  }
  if (error.status === 401 || error.status === 403) {
    return ' (the function key was refused or missing: pass --key or set AUTOPILOT_KEY)';
  }
  return '';
}

function detailLines(details: unknown): string {
  if (!Array.isArray(details)) return '';
  return details
    .slice(0, 20)
    .map((d: unknown) => {
      const item = (d ?? {}) as Record<string, unknown>;
      const where = ['line', 'field', 'parameter']
        .map((k) => item[k])
        .find((v): v is string | number => typeof v === 'number' || (typeof v === 'string' && v !== ''));
      const message = typeof item.message === 'string' ? item.message : JSON.stringify(d);
      return `\n  - ${where === undefined ? '' : `${String(where)}: `}${message}`;
    })
    .join('');
}

/**
 * Reports an API failure the way every command does: with `--json` one `{error}` object on stdout,
 * otherwise `<program>: <code>: <message>` and the details on stderr. Anything else is rethrown.
 */
export function reportApiFailure(io: CliIo, program: string, json: boolean, error: unknown): number {
  if (!(error instanceof ApiError) && !(error instanceof ApiUnreachable)) throw error;
  if (json) {
    const body =
      error instanceof ApiError
        ? {
            code: error.code,
            message: error.message,
            status: error.status,
            ...(error.details === undefined ? {} : { details: error.details }),
          }
        : { code: API_UNREACHABLE, message: error.message };
    io.stdout.write(`${JSON.stringify({ error: body })}\n`);
  } else {
    const head = error instanceof ApiError ? `${error.code}: ${error.message}` : error.message;
    const details = error instanceof ApiError ? detailLines(error.details) : '';
    io.stderr.write(`${program}: ${head}${hint(error)}${details}\n`);
  }
  return exitCodeOf(error);
}
