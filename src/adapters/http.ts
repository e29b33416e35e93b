// What every outgoing call shares: the TLS trust (ARM_CA_CERT_PATH), the retry policy for
// transient faults, and a small JSON client for the non-ARM services (registry, MLflow, scoring)
// built from the same @azure/core-rest-pipeline policies the SDK clients use.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  type PipelineRetryOptions,
  type TlsSettings,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import {
  httpError,
  KEPT_RETRY_AFTER_MS_HEADER,
  parseErrorBody,
  retryAfterInMs,
  retryAfterSeconds,
  toServiceError,
  type ServiceName,
} from './errors.js';

/** Transient-fault retries: bounded so an activity fails (and durable retries it) rather than hangs. */
export interface RetrySettings {
  readonly maxRetries: number;
  readonly retryDelayInMs: number;
  readonly maxRetryDelayInMs: number;
  /** Longest Retry-After honored in-process; a longer throttle fails now and durable retries later. */
  readonly maxRetryAfterInMs?: number;
  /** Time allowed for the first byte of an answer, per attempt (calls that set their own keep it). */
  readonly requestTimeoutInMs?: number;
}

export const DEFAULT_RETRY: RetrySettings = Object.freeze({
  maxRetries: 4,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 15_000,
  maxRetryAfterInMs: 30_000,
});

const RETRY_AFTER_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'] as const;

export const THROTTLE_POLICY_NAME = 'autopilotThrottlePolicy';

/**
 * Sits between the retry policy and the wire so the retry policy sees throttles we can afford:
 * a 429 without Retry-After (the SDK would not retry it) gets our base delay, and a Retry-After
 * longer than `maxRetryAfterInMs` is dropped so the call fails now (as a retryable error) instead
 * of holding an activity for as long as the service asks. The dropped wait is kept under
 * KEPT_RETRY_AFTER_MS_HEADER, which the retry policy ignores: the error's details carry it, and
 * the orchestrator waits that long on a durable timer (src/orchestration/throttle.ts).
 */
export function throttlePolicy(retry: RetrySettings): PipelinePolicy {
  const cap = retry.maxRetryAfterInMs ?? retry.maxRetryDelayInMs;
  return {
    name: THROTTLE_POLICY_NAME,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const wait = retryAfterInMs(response.headers);
      if (wait === undefined) {
        if (response.status === 429) response.headers.set('retry-after-ms', String(retry.retryDelayInMs));
      } else if (wait > cap) {
        for (const header of RETRY_AFTER_HEADERS) response.headers.delete(header);
        response.headers.set(KEPT_RETRY_AFTER_MS_HEADER, String(wait));
      }
      return response;
    },
  };
}

/**
 * A request that never answers would hold an activity until the host kills it; ARM's own gateway
 * gives up after about 100 s, so waiting longer for a first byte gains nothing.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 100_000;

export const TIMEOUT_POLICY_NAME = 'autopilotTimeoutPolicy';

export function timeoutPolicy(timeoutInMs: number): PipelinePolicy {
  return {
    name: TIMEOUT_POLICY_NAME,
    sendRequest(request, next) {
      if (request.timeout === 0) request.timeout = timeoutInMs;
      return next(request);
    },
  };
}

/** Adds the project's policies to a pipeline (an SDK client's or our own). */
export function addTransportPolicies(pipeline: Pipeline, transport: TransportOptions): void {
  pipeline.addPolicy(timeoutPolicy(transport.retry.requestTimeoutInMs ?? DEFAULT_REQUEST_TIMEOUT_MS));
  pipeline.addPolicy(throttlePolicy(transport.retry), { afterPhase: 'Retry' });
}

/** Options every client gets: the same TLS settings object (the node HTTP client caches agents by its identity). */
export interface TransportOptions {
  readonly tlsOptions?: TlsSettings;
  readonly retryOptions: PipelineRetryOptions;
  readonly retry: RetrySettings;
}

/**
 * Trusts `caCertPath` IN ADDITION to the public roots: `ca` replaces Node's default list, and the
 * same process also talks to real Azure hosts (or Azurite over http) next to the emulator.
 */
export function transportOptions(
  caCertPath: string | undefined,
  retry: RetrySettings = DEFAULT_RETRY,
): TransportOptions {
  const retryOptions: PipelineRetryOptions = {
    maxRetries: retry.maxRetries,
    retryDelayInMs: retry.retryDelayInMs,
    maxRetryDelayInMs: retry.maxRetryDelayInMs,
  };
  if (caCertPath === undefined) return { retryOptions, retry };
  let pem: string;
  try {
    pem = readFileSync(caCertPath, 'utf8');
  } catch (error) {
    throw new Error(`ARM_CA_CERT_PATH: cannot read '${caCertPath}': ${(error as Error).message}`);
  }
  return { tlsOptions: { ca: [...rootCertificates, pem] }, retryOptions, retry };
}

/** The ARM token scope for an ARM endpoint (`https://management.azure.com/.default`). */
export function armScope(armEndpoint: string): string {
  return `${armEndpoint.replace(/\/+$/, '')}/.default`;
}

export interface JsonRequest {
  readonly method: HttpMethods;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Names the call in error messages, e.g. `GET registry discovery azureml`. */
  readonly operation: string;
  readonly timeoutInMs?: number;
}

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * JSON over a core-rest-pipeline pipeline (retries, TLS, optional bearer token). Non-2xx answers
 * become DomainError (4xx) or ServiceUnavailableError (5xx after retries), except statuses listed
 * in `accept`, which come back as values (e.g. 404 for "absent").
 */
export class JsonHttpClient {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  constructor(
    private readonly service: ServiceName,
    transport: TransportOptions,
    auth?: { readonly credential: TokenCredential; readonly scope: string },
  ) {
    this.pipeline = createPipelineFromOptions({
      retryOptions: transport.retryOptions,
      ...(transport.tlsOptions !== undefined && { tlsOptions: transport.tlsOptions }),
    });
    addTransportPolicies(this.pipeline, transport);
    if (auth !== undefined) {
      this.pipeline.addPolicy(
        bearerTokenAuthenticationPolicy({ credential: auth.credential, scopes: auth.scope }),
      );
    }
  }

  async send(request: JsonRequest, accept: readonly number[] = []): Promise<JsonResponse> {
    const headers = createHttpHeaders({ accept: 'application/json', ...request.headers });
    if (request.body !== undefined) headers.set('content-type', 'application/json');
    const pipelineRequest = createPipelineRequest({
      url: request.url,
      method: request.method,
      headers,
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
      ...(request.timeoutInMs !== undefined && { timeout: request.timeoutInMs }),
    });
    let response: PipelineResponse;
    try {
      response = await this.pipeline.sendRequest(this.httpClient, pipelineRequest);
    } catch (error) {
      throw toServiceError(this.service, request.operation, error);
    }
    const { status } = response;
    const text = response.bodyAsText ?? undefined;
    if (status >= 200 && status < 300) return { status, body: parseJson(text) };
    if (accept.includes(status)) return { status, body: undefined };
    throw httpError(
      this.service,
      request.operation,
      status,
      parseErrorBody(text),
      retryAfterSeconds(response.headers),
    );
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A 2xx with a body that is not JSON: some scoring scripts answer plain text.
    return text;
  }
}
