// How a failed call to a service becomes an error the activities can act on:
// - a 4xx is a DomainError (retrying cannot fix it) that keeps the service's own code and message;
// - a 5xx, a throttle or a network fault that outlived the pipeline's retries is a
//   ServiceUnavailableError, which activities let durable retry again later.
import { isRestError } from '@azure/core-rest-pipeline';
import {
  serviceErrorCode,
  type ErrorCode,
  type ServiceName,
  type ServiceOutcome,
} from '../domain/errorCodes.js';
import { DomainError } from '../domain/errors.js';

/** Which service answered, as the prefix of the error code (`AZUREML.NOT_FOUND`, `SCORING.UNAUTHORIZED`). */
export type { ServiceName } from '../domain/errorCodes.js';

/** A transient fault that survived the pipeline's own retries; worth retrying later. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
  readonly retryable = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const STATUS_CODES: Readonly<Record<number, ServiceOutcome>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  422: 'UNPROCESSABLE',
};

/** What a service said about a failure: ARM's `{error: {code, message}}`, MLflow's `{error_code, message}`, ... */
export interface ServiceErrorBody {
  readonly code?: string;
  readonly message?: string;
}

/** Reads the service's own error code and message from an error body, whatever its shape. */
export function parseErrorBody(text: string | undefined): ServiceErrorBody {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Storage answers XML; its SDK already lifted the code and message out of it.
    if (text.trimStart().startsWith('<')) return {};
    return { message: text.trim().slice(0, 500) };
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const outer = parsed as Record<string, unknown>;
  const inner =
    typeof outer.error === 'object' && outer.error !== null
      ? (outer.error as Record<string, unknown>)
      : outer;
  const code = firstString(inner.code, inner.error_code, outer.error_code);
  const message = firstString(
    inner.message,
    outer.message,
    typeof outer.error === 'string' ? outer.error : undefined,
  );
  return { ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v !== '');
}

/**
 * Where the throttle policy (./http.ts) keeps a Retry-After too long to sleep in-process: it
 * removes the standard headers so the SDK's retry policy does not sleep, and the error still says
 * how long the service asked for.
 */
export const KEPT_RETRY_AFTER_MS_HEADER = 'x-autopilot-retry-after-ms';

const RETRY_AFTER_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'] as const;

/** Headers as core-rest-pipeline hands them out. */
interface Headers {
  get(name: string): string | undefined;
}

/**
 * How long an answer asks us to wait, in ms (`retry-after-ms`, `x-ms-retry-after-ms`, or
 * `Retry-After` as seconds or an HTTP date); undefined when it does not say.
 */
export function retryAfterInMs(headers: Headers, now: () => number = Date.now): number | undefined {
  for (const header of [KEPT_RETRY_AFTER_MS_HEADER, ...RETRY_AFTER_HEADERS]) {
    const raw = headers.get(header);
    if (raw === undefined) continue;
    const seconds = header === 'retry-after';
    const value = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(value)) return Math.max(0, seconds ? value * 1000 : value);
    const date = Date.parse(raw);
    if (seconds && Number.isFinite(date)) return Math.max(0, date - now());
  }
  return undefined;
}

/** The wait an answer asked for in whole seconds (rounded up), for error details. */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = headers === undefined ? undefined : retryAfterInMs(headers);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

/**
 * The error for a failed HTTP answer. `operation` names what we were doing, e.g.
 * `PUT job ft-abc`, so the message says where it failed. `retryAfterSeconds` is what a throttled
 * or unavailable service asked for; it goes into the details, where the activities read it.
 */
export function httpError(
  service: ServiceName,
  operation: string,
  status: number,
  body: ServiceErrorBody,
  retryAfterSeconds?: number,
): DomainError | ServiceUnavailableError {
  const said = body.message ?? 'no message';
  const serviceCode = body.code ?? `HTTP${status}`;
  const details = { status, serviceCode, operation };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    const suffix = STATUS_CODES[status] ?? 'REQUEST_REJECTED';
    return new DomainError(
      serviceErrorCode(service, suffix),
      `${operation}: ${serviceCode}: ${said}`,
      details,
    );
  }
  return new ServiceUnavailableError(
    serviceErrorCode(service, status === 429 ? 'THROTTLED' : 'UNAVAILABLE'),
    `${operation}: HTTP ${status} ${serviceCode}: ${said} (gave up after retries` +
      (retryAfterSeconds === undefined ? ')' : `; it asks to wait ${retryAfterSeconds} s)`),
    retryAfterSeconds === undefined ? details : { ...details, retryAfterSeconds },
  );
}

/** Maps whatever a pipeline or SDK call threw into a DomainError or ServiceUnavailableError. */
export function toServiceError(service: ServiceName, operation: string, error: unknown): Error {
  if (error instanceof DomainError || error instanceof ServiceUnavailableError) return error;
  if (isRestError(error)) {
    if (error.statusCode !== undefined) {
      const fromBody = parseErrorBody(error.response?.bodyAsText ?? undefined);
      // The SDK's deserializer already lifted code/message out of ARM bodies; prefer the body when present.
      const body: ServiceErrorBody = {
        code: fromBody.code ?? (isServiceCode(error.code) ? error.code : undefined),
        message: fromBody.message ?? error.message,
      };
      return httpError(
        service,
        operation,
        error.statusCode,
        body,
        retryAfterSeconds(error.response?.headers),
      );
    }
    if (error.code !== undefined && TLS_TRUST_CODES.has(error.code)) {
      // A configuration problem, not a fault: retrying will not make the certificate trusted.
      return new DomainError(
        serviceErrorCode(service, 'TLS_UNTRUSTED'),
        `${operation}: the server's certificate is not trusted (${error.code}); set ARM_CA_CERT_PATH to its CA`,
        { operation, cause: error.code },
      );
    }
    return new ServiceUnavailableError(
      serviceErrorCode(service, 'UNREACHABLE'),
      `${operation}: ${error.code ?? 'network error'}: ${error.message}`,
      { operation, cause: error.code },
    );
  }
  const failedOperation = error instanceof Error ? LRO_FAILED.exec(error.message) : null;
  if (failedOperation !== null) {
    // core-lro reports a long-running operation that ended Failed as a plain Error whose message
    // carries the operation's error code and message.
    const operationCode = failedOperation[1] ?? 'OperationFailed';
    const said = failedOperation[2] ?? 'no message';
    const details = { serviceCode: operationCode, operation };
    return TRANSIENT_OPERATION_CODES.test(operationCode)
      ? new ServiceUnavailableError(
          serviceErrorCode(service, 'UNAVAILABLE'),
          `${operation}: ${operationCode}: ${said}`,
          details,
        )
      : new DomainError(
          serviceErrorCode(service, 'OPERATION_FAILED'),
          `${operation}: ${operationCode}: ${said}`,
          details,
        );
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new ServiceUnavailableError(serviceErrorCode(service, 'TIMEOUT'), `${operation}: timed out`, {
      operation,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

const LRO_FAILED = /^The long-running operation has failed(?:\. ([^.]*)\. ([\s\S]*))?$/;
/** Operation error codes that say the service, not the request, failed. */
const TRANSIENT_OPERATION_CODES =
  /^(InternalServerError|InternalError|ServiceUnavailable|ServerTimeout|GatewayTimeout|TooManyRequests)$/i;

const TLS_TRUST_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isServiceCode(code: string | undefined): code is string {
  return code !== undefined && code !== 'REQUEST_SEND_ERROR' && code !== 'PARSE_ERROR';
}

/** True when the error says the resource does not exist (so getters answer `undefined`). */
export function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/**
 * Whether trying again later may succeed: a DomainError never (the input or a rule must change),
 * a ServiceUnavailableError always; anything else is unexpected and gets the benefit of the doubt.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DomainError) return false;
  return true;
}
