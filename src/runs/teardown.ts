// The idle-endpoint sweep: list the endpoints this app owns, read the RequestsPerMinute of those
// only their traffic can decide (a few at a time, and no more once Monitor keeps failing), let the
// domain's idle policy decide, start the deletions (or, dry run, only say so), and log every
// decision with its reason and what it saves per hour. A managed online endpoint cannot scale to
// zero, so an idle one bills its instances every hour.
import type { InvocationContext } from '@azure/functions';
import type { TeardownSettings } from '../config.js';
import { decideTeardown, keepWithoutMetrics, type TeardownDecision } from '../domain/idle.js';
import { teardownEvents } from '../domain/lifecycleEvents.js';
import type { AzureMlGateway, EndpointMetrics, LifecycleEvents } from '../domain/ports.js';
import type { EndpointInfo } from '../domain/resources.js';
import { OWNER_TAG_VALUE, Tag } from '../names.js';

/**
 * Pay-as-you-go list prices in USD per instance-hour (East US, Linux, rounded). An ESTIMATE for
 * the log line only: real prices vary by region, agreement and date.
 */
export const HOURLY_PRICE_ESTIMATE_USD: Readonly<Record<string, number>> = {
  standard_ds3_v2: 0.29,
  standard_f8s_v2: 0.34,
  standard_nc6s_v3: 3.06,
  standard_nc12s_v3: 6.12,
  standard_nc24s_v3: 12.24,
  standard_nc24rs_v3: 13.46,
  standard_nc24ads_a100_v4: 3.67,
  standard_nc48ads_a100_v4: 7.35,
  standard_nc96ads_a100_v4: 14.69,
  standard_nd96asr_v4: 27.2,
};

export interface TeardownDeps {
  readonly gateway: AzureMlGateway;
  readonly endpointMetrics: EndpointMetrics;
  readonly settings: TeardownSettings;
  readonly now: Date;
  /** Ids of the runs still in progress (read after the endpoints are listed, see the sweep). */
  readonly activeRunIds: () => Promise<ReadonlySet<string>>;
  /** How late Azure Monitor's minutes may arrive (see decideTeardown); default 0. */
  readonly metricsDelaySeconds?: number;
  /** Endpoints read at once (each: its metrics and its price); default METRICS_CONCURRENCY. */
  readonly concurrency?: number;
  /**
   * An idle serving line's endpoint is not deleted here: the request goes to the line, its one
   * writer (park, or delete when IDLE_ACTION=delete). Absent: line endpoints are deleted as others.
   */
  readonly idleLine?: (endpoint: EndpointInfo, reason: string) => Promise<void>;
  /** What idleLine asks for, for the log. */
  readonly idleLineAction?: 'park' | 'delete';
  /** Where `teardown.deleted` goes; absent = published nowhere. */
  readonly events?: LifecycleEvents;
  /** Time allowed for one metrics read, retries included; default METRICS_READ_TIMEOUT_MS. */
  readonly metricsReadTimeoutInMs?: number;
}

/** Bounded so 1,000 endpoints take seconds, not minutes, without flooding ARM's read quota. */
export const METRICS_CONCURRENCY = 16;
/**
 * After this many Monitor failures in a row the sweep stops reading metrics and keeps every
 * endpoint left (a circuit breaker): a failing Monitor would otherwise cost each endpoint its
 * retries, and unknown traffic keeps the endpoint anyway.
 */
export const MONITOR_FAILURES_TO_STOP = 3;
/**
 * One metrics read, retries included, gets this long; a read that takes longer is unknown traffic
 * (kept) and counts as a Monitor failure. Bounds a failing Monitor's sweep to seconds, since the
 * transport's retries of one read alone can take 25 s.
 */
export const METRICS_READ_TIMEOUT_MS = 8_000;

export interface SweepResult {
  readonly decisions: readonly TeardownDecision[];
  /** Endpoints whose deletion was decided but could not be started (logged; the next sweep tries again). */
  readonly failed: readonly string[];
}

/** Runs `work` over `items` with at most `limit` in flight; stops taking new items once `stop()` says so. */
async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

const firstLine = (error: unknown) =>
  error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'error';

/** Hourly cost of an endpoint's deployments that take traffic or exist, from the price table. */
async function hourlyCostOf(gateway: AzureMlGateway, endpoint: EndpointInfo): Promise<number | undefined> {
  let total = 0;
  let known = false;
  for (const deploymentName of Object.keys(endpoint.traffic)) {
    const deployment = await gateway.getDeployment(endpoint.name, deploymentName);
    const price =
      deployment?.instanceType === undefined
        ? undefined
        : HOURLY_PRICE_ESTIMATE_USD[deployment.instanceType.toLowerCase()];
    if (price === undefined) continue;
    total += price * (deployment?.instanceCount ?? 1);
    known = true;
  }
  return known ? Math.round(total * 100) / 100 : undefined;
}

function describe(decision: TeardownDecision): string {
  const { endpoint, action, reason, hourlyCost } = decision;
  const verb = action === 'delete' ? 'deleted' : action === 'wouldDelete' ? 'would delete' : 'kept';
  const run = endpoint.tags[Tag.runId] === undefined ? '' : ` (run ${endpoint.tags[Tag.runId]})`;
  const cost =
    hourlyCost === undefined
      ? 'hourly cost unknown'
      : action === 'keep'
        ? `costs ~$${hourlyCost.toFixed(2)}/h (estimate)`
        : `saves ~$${hourlyCost.toFixed(2)}/h (estimate)`;
  return `idleEndpointTeardown: ${verb} ${endpoint.name}${run}: ${reason}; ${cost}`;
}

export async function sweepIdleEndpoints(
  deps: TeardownDeps,
  context: InvocationContext,
): Promise<SweepResult> {
  const { gateway, endpointMetrics, settings, now } = deps;
  const endpoints = await gateway.listEndpoints({ [Tag.owner]: OWNER_TAG_VALUE });
  // After the listing: a listed endpoint's run was in progress when it made it, so it is either
  // still in this set or over. If this read fails the sweep fails and deletes nothing.
  const activeRunIds = await deps.activeRunIds();
  const metricsDelaySeconds = deps.metricsDelaySeconds ?? 0;
  const from = new Date(now.getTime() - (settings.idleWindowSeconds + metricsDelaySeconds) * 1000);
  const policy = { now, idleGraceSeconds: settings.idleGraceSeconds, activeRunIds };
  // Endpoints kept whatever their traffic are decided without a metrics read.
  const candidates = endpoints.filter((e) => keepWithoutMetrics(e, policy) === undefined);

  const requests: Record<string, Awaited<ReturnType<EndpointMetrics['requestsPerMinute']>> | undefined> = {};
  const metricsUnavailable: Record<string, string> = {};
  const costs = new Map<string, number | undefined>();
  let failuresInARow = 0;
  const circuitOpen = () => failuresInARow >= MONITOR_FAILURES_TO_STOP;
  // Opening the breaker also ends the reads in flight (their retries would hold the sweep).
  const breaker = new AbortController();
  const readMetrics = async (endpoint: EndpointInfo): Promise<void> => {
    const timeout = AbortSignal.timeout(deps.metricsReadTimeoutInMs ?? METRICS_READ_TIMEOUT_MS);
    try {
      requests[endpoint.name] = await endpointMetrics.requestsPerMinute(endpoint.id, from, now, {
        abortSignal: AbortSignal.any([breaker.signal, timeout]),
      });
      failuresInARow = 0;
    } catch (error) {
      if (breaker.signal.aborted && !timeout.aborted) return; // kept below, with the breaker's reason
      failuresInARow += 1;
      const why = timeout.aborted
        ? `no answer within ${deps.metricsReadTimeoutInMs ?? METRICS_READ_TIMEOUT_MS} ms`
        : firstLine(error);
      // unknown traffic = keep (the policy says so); say why once
      metricsUnavailable[endpoint.name] = why;
      context.warn(`idleEndpointTeardown: metrics of ${endpoint.name} unavailable: ${why}`);
      if (circuitOpen()) breaker.abort();
    }
  };
  await forEachBounded(
    candidates,
    deps.concurrency ?? METRICS_CONCURRENCY,
    async (endpoint) => {
      // the price read (ARM) does not wait for the metrics read (Monitor)
      const [cost] = await Promise.all([
        hourlyCostOf(gateway, endpoint).catch(() => undefined),
        readMetrics(endpoint),
      ]);
      costs.set(endpoint.name, cost);
    },
    circuitOpen,
  );
  if (circuitOpen()) {
    const skipped = candidates.filter((e) => !(e.name in requests) && !(e.name in metricsUnavailable));
    for (const endpoint of skipped) {
      metricsUnavailable[endpoint.name] =
        `not read: Azure Monitor failed ${MONITOR_FAILURES_TO_STOP} times in a row, so this sweep keeps the rest`;
    }
    context.warn(
      `idleEndpointTeardown: Azure Monitor failed ${MONITOR_FAILURES_TO_STOP} times in a row; ${skipped.length} endpoint(s) kept without reading their metrics`,
    );
  }
  const decisions = decideTeardown({
    endpoints,
    requests,
    metricsUnavailable,
    now,
    idleWindowSeconds: settings.idleWindowSeconds,
    idleGraceSeconds: settings.idleGraceSeconds,
    metricsDelaySeconds,
    dryRun: settings.dryRun,
    maxDeletions: settings.maxDeletions,
    activeRunIds,
    // unknown prices rank as 0 when the per-sweep cap picks; the log then says "unknown"
    hourlyCost: (endpoint) => costs.get(endpoint.name) ?? 0,
  }).map((d) => (costs.get(d.endpoint.name) === undefined ? withoutCost(d) : d));

  // The decision is made; now the action. Started, not awaited (a deletion takes minutes): the
  // next sweep lists the endpoint as Deleting (kept: not settled) or no longer lists it.
  const failed: string[] = [];
  const toAct = decisions.filter((d) => d.action === 'delete');
  await forEachBounded(toAct, deps.concurrency ?? METRICS_CONCURRENCY, async (decision) => {
    try {
      await startAction(deps, decision);
    } catch (error) {
      failed.push(decision.endpoint.name);
      context.error(
        `idleEndpointTeardown: deleting ${decision.endpoint.name} failed (next sweep retries): ${firstLine(error)}`,
      );
    }
  });
  // a parked line publishes line.parked itself (its orchestration); teardown.deleted is for deletions
  const isPark = (decision: TeardownDecision): boolean =>
    decision.action === 'delete' &&
    decision.endpoint.tags[Tag.line] !== undefined &&
    deps.idleLine !== undefined &&
    deps.idleLineAction !== 'delete';
  await publishDeletions(
    deps,
    toAct.filter((d) => !failed.includes(d.endpoint.name) && !isPark(d)),
    context,
  );
  for (const decision of decisions) {
    if (failed.includes(decision.endpoint.name)) continue;
    context.log(
      isPark(decision) ? describe(decision).replace(': deleted ', ': parked ') : describe(decision),
    );
  }
  context.log(
    `idleEndpointTeardown: ${endpoints.length} owned endpoint(s): ${count(decisions, 'delete') - failed.length} deleted, ${count(decisions, 'wouldDelete')} would delete (dry run), ${count(decisions, 'keep')} kept${failed.length > 0 ? `, ${failed.length} failed` : ''}`,
  );
  return { decisions, failed };
}

/** `teardown.deleted` per deletion started; best effort: a lost event never fails the sweep. */
async function publishDeletions(
  deps: TeardownDeps,
  started: readonly TeardownDecision[],
  context: InvocationContext,
): Promise<void> {
  if (deps.events === undefined || started.length === 0) return;
  await deps.events.publish(teardownEvents(started, deps.now.toISOString())).catch((error: unknown) => {
    context.warn(
      `idleEndpointTeardown: publishing ${started.length} teardown.deleted event(s) failed: ${firstLine(error)}`,
    );
  });
}

/**
 * What a decision to let an endpoint go does, and waits for nothing else: a serving line's request
 * goes to the line, its one writer (park, or delete with IDLE_ACTION=delete); any other endpoint's
 * deletion is begun.
 */
async function startAction(deps: TeardownDeps, decision: TeardownDecision): Promise<void> {
  if (decision.endpoint.tags[Tag.line] !== undefined && deps.idleLine !== undefined) {
    await deps.idleLine(decision.endpoint, decision.reason);
    return;
  }
  await deps.gateway.beginDeleteEndpoint(decision.endpoint.name);
}

const count = (decisions: readonly TeardownDecision[], action: TeardownDecision['action']): number =>
  decisions.filter((d) => d.action === action).length;

function withoutCost(decision: TeardownDecision): TeardownDecision {
  const { hourlyCost: _unknown, ...rest } = decision;
  return rest;
}
