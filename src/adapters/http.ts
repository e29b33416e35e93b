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
  type PipelineRetryOptions,
  type TlsSettings,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import { httpError, parseErrorBody, toServiceError, type ServiceName } from './errors.js';

/** Transient-fault retries: bounded so an activity fails (and durable retries it) rather than hangs. */
export interface RetrySettings {
  readonly maxRetries: number;
  readonly retryDelayInMs: number;
  readonly maxRetryDelayInMs: number;
}

export const DEFAULT_RETRY: RetrySettings = Object.freeze({
  maxRetries: 4,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 15_000,
});

/** Options every client gets: the same TLS settings object (the node HTTP client caches agents by its identity). */
export interface TransportOptions {
  readonly tlsOptions?: TlsSettings;
  readonly retryOptions: PipelineRetryOptions;
}

/**
 * Trusts `caCertPath` IN ADDITION to the public roots: `ca` replaces Node's default list, and the
 * same process also talks to real Azure hosts (or Azurite over http) next to the emulator.
 */
export function transportOptions(
  caCertPath: string | undefined,
  retry: RetrySettings = DEFAULT_RETRY,
): TransportOptions {
  const retryOptions: PipelineRetryOptions = { ...retry };
  if (caCertPath === undefined) return { retryOptions };
  let pem: string;
  try {
    pem = readFileSync(caCertPath, 'utf8');
  } catch (error) {
    throw new Error(`ARM_CA_CERT_PATH: cannot read '${caCertPath}': ${(error as Error).message}`);
  }
  return { tlsOptions: { ca: [...rootCertificates, pem] }, retryOptions };
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
    let status: number;
    let text: string | undefined;
    try {
      const response = await this.pipeline.sendRequest(this.httpClient, pipelineRequest);
      status = response.status;
      text = response.bodyAsText ?? undefined;
    } catch (error) {
      throw toServiceError(this.service, request.operation, error);
    }
    if (status >= 200 && status < 300) return { status, body: parseJson(text) };
    if (accept.includes(status)) return { status, body: undefined };
    throw httpError(this.service, request.operation, status, parseErrorBody(text));
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
