// What every activity shares: its dependencies, the failure policy, and the endpoint ownership
// check.
//
// Failure policy: callActivityWithRetry retries EVERY thrown error, so an activity throws only
// for transient faults (5xx, 429, resets, timeouts: worth the retries). Expected failures (a bad
// dataset, a compute rule, a 4xx the adapters turn into DomainError) come back as Result values
// that the orchestrator records on the run view without spending retries. So does a throttle
// whose Retry-After outlasts those retries (src/domain/throttle.ts): `<SERVICE>.THROTTLED` with
// details.retryAfterSeconds, which the orchestrator waits out on a durable timer.
//
// Idempotent: an activity may run again (retry after a crash, replay); submit, register and the
// deploy steps look before they create, cleanup and cancel treat "already gone" as done.
import type { AppConfig } from '../config.js';
import { DomainError, fail, ok } from '../domain/errors.js';
import { longThrottleProblem } from '../domain/throttle.js';
import type {
  AzureMlGateway,
  BlobStore,
  DatasetProcessor,
  LifecycleEvents,
  ModelCatalog,
  RunIndex,
  RunMetricsSource,
  ScoringClient,
} from '../domain/ports.js';
import type { EndpointInfo } from '../domain/resources.js';
import { Tag } from '../names.js';
import type { ActivityResult } from '../orchestration/contract.js';

/** What the activities need from the outside world: ports only, built by the composition root. */
export interface ActivityPorts {
  readonly gateway: AzureMlGateway;
  readonly catalog: ModelCatalog;
  readonly runMetrics: RunMetricsSource;
  readonly scoring: ScoringClient;
  readonly blobs: BlobStore;
  readonly datasets: DatasetProcessor;
  readonly events: LifecycleEvents;
  readonly runIndex: RunIndex;
}

export interface ActivityDeps {
  readonly ports: ActivityPorts;
  readonly config: AppConfig;
  /** The clock lifecycle and retirement dates are compared with; tests pass their own. */
  readonly now?: () => Date;
  /** How often validate writes runs/<id>/progress.json (default 2000 ms); tests pass a tiny one. */
  readonly datasetProgressIntervalInMs?: number;
}

/** Today's date (UTC, YYYY-MM-DD) by the deps' clock. */
export const today = (deps: ActivityDeps): string => (deps.now?.() ?? new Date()).toISOString().slice(0, 10);

export const runBlobPath = (runId: string, file: string): string => `runs/${runId}/${file}`;

/**
 * Turns a DomainError thrown by an adapter, or a throttle longer than the activity retries can
 * wait, into a Result; anything else is transient and rethrown.
 */
export async function expected<T>(
  work: () => Promise<ActivityResult<NoInfer<T>>>,
): Promise<ActivityResult<T>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) {
      return fail({
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
    const throttle = longThrottleProblem(error);
    if (throttle !== undefined) return fail(throttle);
    throw error;
  }
}

/**
 * The run's endpoint, when it exists and this run created it (its run-id tag). Gone and not owned
 * are failures with one message each; nothing is ever done to an endpoint someone else owns.
 */
export async function requireOwnedEndpoint(
  gateway: AzureMlGateway,
  endpointName: string,
  runId: string,
): Promise<ActivityResult<EndpointInfo>> {
  const endpoint = await gateway.getEndpoint(endpointName);
  if (endpoint === undefined) {
    return fail({
      code: 'DEPLOY.FAILED',
      message: `endpoint ${endpointName} no longer exists (deleted while the run was deploying)`,
    });
  }
  return isOwnedBy(endpoint, runId) ? ok(endpoint) : notOwned(endpointName, runId);
}

export const isOwnedBy = (endpoint: EndpointInfo, runId: string): boolean =>
  endpoint.tags[Tag.runId] === runId;

export function notOwned(endpointName: string, runId: string): ActivityResult<never> {
  return fail({
    code: 'DEPLOY.ENDPOINT_NOT_OWNED',
    message: `endpoint ${endpointName} exists but was not created by run ${runId}; it is left untouched`,
  });
}
