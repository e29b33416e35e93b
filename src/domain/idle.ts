// The idle policy: a managed online endpoint cannot scale to zero, so an owned endpoint that
// served no request in the idle window is deleted. Conservative by construction: anything not
// clearly ours, clearly settled and clearly idle is kept, and each sweep deletes at most a few.
// "Clearly idle" is positive evidence: Azure Monitor reported a value, and it was 0, for every
// minute of the window. A minute without a value is unknown traffic, not zero (Monitor leaves out
// the values of minutes it has no samples for, and recent minutes arrive late).
import { OWNER_TAG_VALUE, Tag } from '../names.js';
import type { EndpointInfo, RequestCountBucket } from './resources.js';

export { isTerminalJobStatus, jobFinished } from './jobStatus.js';

export type TeardownAction = 'keep' | 'delete' | 'wouldDelete';

export interface TeardownDecision {
  readonly endpoint: EndpointInfo;
  readonly action: TeardownAction;
  readonly reason: string;
  /** What deleting it saves per hour, when a cost function was given. */
  readonly hourlyCost?: number;
}

export interface TeardownInput {
  readonly endpoints: readonly EndpointInfo[];
  /** RequestsPerMinute buckets per endpoint name over the idle window; absent = metrics unavailable. */
  readonly requests: Readonly<Record<string, readonly RequestCountBucket[] | undefined>>;
  readonly now: Date;
  readonly idleWindowSeconds: number;
  /** No endpoint younger than this is deleted (it may not have been used yet). */
  readonly idleGraceSeconds: number;
  /**
   * How late Azure Monitor's minutes may arrive: the window that must be reported in full ends this
   * long before `now` (default 0). Requests reported after its end still keep the endpoint.
   */
  readonly metricsDelaySeconds?: number;
  readonly dryRun: boolean;
  readonly maxDeletions: number;
  /**
   * Runs still in progress. Their endpoints are theirs until they end: being deployed or smoke
   * tested (no traffic yet, whatever the grace period), and a failing run deletes its own.
   */
  readonly activeRunIds: ReadonlySet<string>;
  readonly hourlyCost?: (endpoint: EndpointInfo) => number;
  /** Why an endpoint's metrics (absent from `requests`) could not be read, for the decision log. */
  readonly metricsUnavailable?: Readonly<Record<string, string>>;
}

const SETTLED_STATE = 'succeeded';
/** RequestsPerMinute buckets are one minute wide (PT1M grain), stamped with their start. */
const BUCKET_MS = 60_000;

/** What deciding an endpoint without its metrics needs. */
export type SettledCheckInput = Pick<TeardownInput, 'now' | 'idleGraceSeconds' | 'activeRunIds'>;

/**
 * Why an endpoint is kept whatever its traffic (not ours, keep-tagged, its run in progress, not
 * settled, too young); undefined when only its metrics can decide. The sweep reads metrics only
 * for those.
 */
export function keepWithoutMetrics(endpoint: EndpointInfo, input: SettledCheckInput): string | undefined {
  const now = input.now.getTime();
  if (endpoint.tags[Tag.owner] !== OWNER_TAG_VALUE) return `not owned by ${OWNER_TAG_VALUE}`;
  if (endpoint.tags[Tag.keep]?.toLowerCase() === 'true') return `tagged ${Tag.keep}=true`;
  const runId = endpoint.tags[Tag.runId];
  if (runId !== undefined && input.activeRunIds.has(runId)) return `its run ${runId} is still in progress`;
  if (endpoint.provisioningState.toLowerCase() !== SETTLED_STATE) {
    return `provisioning state is ${endpoint.provisioningState}`;
  }
  const line = endpoint.tags[Tag.line];
  if (line !== undefined && Object.keys(endpoint.traffic).length === 0) {
    return `line '${line}' has no deployment taking traffic (parked, or its first model is deploying): nothing to park`;
  }
  const created = endpoint.createdAt === undefined ? NaN : Date.parse(endpoint.createdAt);
  if (Number.isNaN(created)) return 'creation time unknown, so the grace period cannot be applied';
  // A line's endpoint outlives its models: its grace counts from when its model began serving.
  const servingSince = Date.parse(endpoint.tags[Tag.servingSince] ?? '');
  if (line !== undefined && !Number.isNaN(servingSince) && servingSince > created) {
    const servingSeconds = Math.floor((now - servingSince) / 1000);
    if (servingSeconds < input.idleGraceSeconds) {
      return `line '${line}' began serving its model ${servingSeconds} s ago, within the ${input.idleGraceSeconds} s grace period`;
    }
    return undefined;
  }
  const ageSeconds = Math.floor((now - created) / 1000);
  if (ageSeconds < input.idleGraceSeconds) {
    return `created ${ageSeconds} s ago, within the ${input.idleGraceSeconds} s grace period`;
  }
  return undefined;
}

function keepReason(endpoint: EndpointInfo, input: TeardownInput): string | undefined {
  return (
    keepWithoutMetrics(endpoint, input) ??
    trafficReason(input.requests[endpoint.name], input, input.metricsUnavailable?.[endpoint.name])
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A minute's request count, when it is one: NaN or a negative value is no evidence (unknown), not 0. */
const requestCount = (total: number | undefined): number | undefined =>
  total !== undefined && Number.isFinite(total) && total >= 0 ? total : undefined;

/** Why the metrics do not prove the endpoint idle; undefined when they do. */
function trafficReason(
  buckets: readonly RequestCountBucket[] | undefined,
  input: TeardownInput,
  unavailable: string | undefined,
): string | undefined {
  const window = `the last ${input.idleWindowSeconds} s`;
  if (buckets === undefined) {
    return unavailable === undefined
      ? 'request metrics unavailable'
      : `request metrics unavailable: ${unavailable}`;
  }
  if (buckets.length === 0) {
    return `Azure Monitor returned no request data for ${window}: unknown traffic is not idleness`;
  }
  const now = input.now.getTime();
  const windowEnd = now - (input.metricsDelaySeconds ?? 0) * 1000;
  const windowStart = windowEnd - input.idleWindowSeconds * 1000;
  // Buckets are stamped with their start; one that overlaps the window at all counts.
  const byMinute = new Map<number, number | undefined>();
  for (const bucket of buckets) {
    const start = Math.floor(Date.parse(bucket.timeStamp) / BUCKET_MS) * BUCKET_MS;
    if (Number.isNaN(start)) continue;
    const before = byMinute.get(start);
    const value = requestCount(bucket.total);
    byMinute.set(start, value === undefined ? before : (before ?? 0) + value);
  }
  // Requests anywhere from the window's start on keep it: past the window's end, and also stamped
  // after now (a clock ahead of ours).
  let requests = 0;
  for (const [start, total] of byMinute) {
    if (start + BUCKET_MS > windowStart && total !== undefined) requests += total;
  }
  if (requests > 0) return `${requests} request(s) in ${window}`;

  const required: number[] = [];
  for (let m = Math.floor(windowStart / BUCKET_MS) * BUCKET_MS; m < windowEnd; m += BUCKET_MS)
    required.push(m);
  const missing = required.filter((m) => byMinute.get(m) === undefined);
  if (missing.length === 0) return undefined;
  if (missing.length === required.length) {
    return `Azure Monitor reported no value for any of the ${required.length} minute(s) of ${window}: unknown traffic is not idleness`;
  }
  const last = required.at(-1);
  const trailing = missing.every((m, i) => m === (last ?? 0) - (missing.length - 1 - i) * BUCKET_MS);
  const where = trailing
    ? `the most recent ${missing.length} minute(s) from ${iso(missing[0] ?? 0)} not reported yet (metrics may be late)`
    : `first gap at ${iso(missing[0] ?? 0)}`;
  return `no request data for ${missing.length} of the ${required.length} minute(s) of ${window} (${where}): unknown traffic is not idleness`;
}

/** One decision per endpoint, in the order given. */
export function decideTeardown(input: TeardownInput): TeardownDecision[] {
  const costs = new Map(input.endpoints.map((e) => [e, input.hourlyCost?.(e)]));
  const reasons = new Map(input.endpoints.map((e) => [e, keepReason(e, input)]));
  // The most expensive (then the oldest) idle endpoints go first when the cap bites.
  const idle = input.endpoints
    .filter((e) => reasons.get(e) === undefined)
    .sort(
      (a, b) =>
        (costs.get(b) ?? 0) - (costs.get(a) ?? 0) ||
        Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? '') ||
        a.name.localeCompare(b.name),
    );
  const toDelete = new Set(idle.slice(0, Math.max(0, input.maxDeletions)));
  const idleReason = `no requests in the last ${input.idleWindowSeconds} s: every minute reported 0`;

  return input.endpoints.map((endpoint) => {
    const cost = costs.get(endpoint);
    const withCost = cost === undefined ? {} : { hourlyCost: cost };
    const reason = reasons.get(endpoint);
    if (reason !== undefined) return { endpoint, action: 'keep', reason, ...withCost };
    if (!toDelete.has(endpoint)) {
      return {
        endpoint,
        action: 'keep',
        reason: `${idleReason}, but this sweep reached its limit of ${input.maxDeletions} deletion(s)`,
        ...withCost,
      };
    }
    return {
      endpoint,
      action: input.dryRun ? 'wouldDelete' : 'delete',
      reason: input.dryRun ? `${idleReason} (dry run)` : idleReason,
      ...withCost,
    };
  });
}
