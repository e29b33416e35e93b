// RequestsPerMinute of an online endpoint from Azure Monitor, through the ARM metrics API
// (`@azure/arm-monitor`), so the local emulator can serve it like any other ARM call.
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import type { EndpointMetrics } from '../domain/ports.js';
import type { RequestCountBucket } from '../domain/resources.js';
import { toServiceError } from './errors.js';
import { addTransportPolicies, armScope, type TransportOptions } from './http.js';

export const REQUESTS_PER_MINUTE = 'RequestsPerMinute';
/**
 * RequestsPerMinute's default aggregation is Average (Microsoft Learn, supported metrics of
 * Microsoft.MachineLearningServices/workspaces/onlineEndpoints); Total is asked for too, and
 * whichever of the two a minute carries is its request count.
 */
export const REQUEST_AGGREGATIONS = 'Average,Total';

interface MetricPoint {
  readonly timeStamp: Date | string;
  readonly total?: number | null;
  readonly average?: number | null;
}

const valueOf = (point: MetricPoint): number | undefined =>
  typeof point.total === 'number'
    ? point.total
    : typeof point.average === 'number'
      ? point.average
      : undefined;

/**
 * Minute buckets from Monitor's time series. A point without a value (Monitor leaves the
 * aggregations out when it has no samples, see GetMetric.json in
 * test/fixtures/azure/monitor/) stays undefined: it is unknown, not 0. Should the service split
 * the metric into several series (e.g. per deployment), a minute is known only when every series
 * has a value for it, and then the values are added up.
 */
export function toRequestBuckets(
  timeseries: readonly { readonly data?: readonly MetricPoint[] }[],
): RequestCountBucket[] {
  const minutes = new Map<string, { sum: number; known: number }>();
  for (const series of timeseries) {
    for (const point of series.data ?? []) {
      const minute = new Date(point.timeStamp).toISOString();
      const value = valueOf(point);
      const bucket = minutes.get(minute) ?? { sum: 0, known: 0 };
      minutes.set(
        minute,
        value === undefined ? bucket : { sum: bucket.sum + value, known: bucket.known + 1 },
      );
    }
  }
  return [...minutes].map(([timeStamp, { sum, known }]) => ({
    timeStamp,
    total: known === timeseries.length ? sum : undefined,
  }));
}

export interface MonitorEndpointMetricsOptions {
  readonly armEndpoint: string;
  readonly subscriptionId: string;
  readonly credential: TokenCredential;
  readonly transport: TransportOptions;
}

export class MonitorEndpointMetrics implements EndpointMetrics {
  private readonly client: MonitorClient;

  constructor(options: MonitorEndpointMetricsOptions) {
    const endpoint = options.armEndpoint.replace(/\/+$/, '');
    this.client = new MonitorClient(options.credential, options.subscriptionId, {
      endpoint,
      // 8.x is built on @azure-rest/core-client: scopes sit under `credentials`.
      credentials: { scopes: [armScope(endpoint)] },
      retryOptions: options.transport.retryOptions,
      ...(options.transport.tlsOptions !== undefined && { tlsOptions: options.transport.tlsOptions }),
    });
    addTransportPolicies(this.client.pipeline, options.transport);
  }

  async requestsPerMinute(
    endpointResourceId: string,
    from: Date,
    to: Date,
    options: { readonly abortSignal?: AbortSignal } = {},
  ): Promise<RequestCountBucket[]> {
    // The operation's path is `/{resourceUri}/providers/...`: a leading slash would double.
    const resourceUri = endpointResourceId.replace(/^\/+/, '');
    try {
      const response = await this.client.metrics.list(resourceUri, {
        metricnames: REQUESTS_PER_MINUTE,
        timespan: `${from.toISOString()}/${to.toISOString()}`,
        interval: 'PT1M',
        aggregation: REQUEST_AGGREGATIONS,
        ...(options.abortSignal !== undefined && { abortSignal: options.abortSignal }),
      });
      return toRequestBuckets(response.value[0]?.timeseries ?? []);
    } catch (error) {
      throw toServiceError('MONITOR', `GET ${REQUESTS_PER_MINUTE} of ${endpointResourceId}`, error);
    }
  }
}
