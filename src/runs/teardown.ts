// The idle-endpoint sweep: list the endpoints this app owns, read their RequestsPerMinute over
// the idle window, let the domain's idle policy decide, delete (or, dry run, only say so), and log
// every decision with its reason and what it saves per hour. A managed online endpoint cannot
// scale to zero, so an idle one bills its instances every hour.
import type { InvocationContext } from '@azure/functions';
import type { TeardownSettings } from '../config.js';
import { decideTeardown, type TeardownDecision } from '../domain/idle.js';
import type { AzureMlGateway, EndpointInfo, EndpointMetrics } from '../domain/ports.js';
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
}

export interface SweepResult {
  readonly decisions: readonly TeardownDecision[];
  /** Endpoints whose deletion was decided but failed (logged; the next sweep tries again). */
  readonly failed: readonly string[];
}

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
  const from = new Date(now.getTime() - settings.idleWindowSeconds * 1000);
  const requests: Record<string, Awaited<ReturnType<EndpointMetrics['requestsPerMinute']>> | undefined> = {};
  const costs = new Map<string, number | undefined>();
  for (const endpoint of endpoints) {
    try {
      requests[endpoint.name] = await endpointMetrics.requestsPerMinute(endpoint.id, from, now);
    } catch (error) {
      // unknown traffic = keep (the policy says so); say why once
      context.warn(
        `idleEndpointTeardown: metrics of ${endpoint.name} unavailable: ${error instanceof Error ? error.message.split('\n')[0] : 'error'}`,
      );
    }
    costs.set(endpoint.name, await hourlyCostOf(gateway, endpoint).catch(() => undefined));
  }
  const decisions = decideTeardown({
    endpoints,
    requests,
    now,
    idleWindowSeconds: settings.idleWindowSeconds,
    idleGraceSeconds: settings.idleGraceSeconds,
    dryRun: settings.dryRun,
    maxDeletions: settings.maxDeletions,
    activeRunIds,
    // unknown prices rank as 0 when the per-sweep cap picks; the log then says "unknown"
    hourlyCost: (endpoint) => costs.get(endpoint.name) ?? 0,
  }).map((d) => (costs.get(d.endpoint.name) === undefined ? withoutCost(d) : d));

  const failed: string[] = [];
  for (const decision of decisions) {
    if (decision.action === 'delete') {
      try {
        await gateway.deleteEndpoint(decision.endpoint.name);
      } catch (error) {
        failed.push(decision.endpoint.name);
        context.error(
          `idleEndpointTeardown: deleting ${decision.endpoint.name} failed (next sweep retries): ${error instanceof Error ? error.message.split('\n')[0] : 'error'}`,
        );
        continue;
      }
    }
    context.log(describe(decision));
  }
  context.log(
    `idleEndpointTeardown: ${endpoints.length} owned endpoint(s): ${count(decisions, 'delete')} deleted, ${count(decisions, 'wouldDelete')} would delete (dry run), ${count(decisions, 'keep')} kept${failed.length > 0 ? `, ${failed.length} failed` : ''}`,
  );
  return { decisions, failed };
}

const count = (decisions: readonly TeardownDecision[], action: TeardownDecision['action']): number =>
  decisions.filter((d) => d.action === action).length;

function withoutCost(decision: TeardownDecision): TeardownDecision {
  const { hourlyCost: _unknown, ...rest } = decision;
  return rest;
}
