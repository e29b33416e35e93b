// RequestsPerMinute of an online endpoint from Azure Monitor, through the ARM metrics API
// (`@azure/arm-monitor`), so the local emulator can serve it like any other ARM call.
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import type { EndpointMetrics, RequestCountBucket } from '../domain/ports.js';
import { toServiceError } from './errors.js';
import { addTransportPolicies, armScope, type TransportOptions } from './http.js';

export const REQUESTS_PER_MINUTE = 'RequestsPerMinute';

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

  async requestsPerMinute(endpointResourceId: string, from: Date, to: Date): Promise<RequestCountBucket[]> {
    // The operation's path is `/{resourceUri}/providers/...`: a leading slash would double.
    const resourceUri = endpointResourceId.replace(/^\/+/, '');
    try {
      const response = await this.client.metrics.list(resourceUri, {
        metricnames: REQUESTS_PER_MINUTE,
        timespan: `${from.toISOString()}/${to.toISOString()}`,
        interval: 'PT1M',
        aggregation: 'Total',
      });
      // Without a dimension filter there is one series; should the service split it (e.g. per
      // deployment), buckets of the same minute are added up.
      const buckets = new Map<string, number | undefined>();
      for (const series of response.value[0]?.timeseries ?? []) {
        for (const point of series.data ?? []) {
          const minute = new Date(point.timeStamp).toISOString();
          const total = point.total ?? undefined;
          const before = buckets.get(minute);
          buckets.set(minute, total === undefined ? before : (before ?? 0) + total);
        }
      }
      return [...buckets].map(([timeStamp, total]) => ({ timeStamp, total }));
    } catch (error) {
      throw toServiceError('MONITOR', `GET ${REQUESTS_PER_MINUTE} of ${endpointResourceId}`, error);
    }
  }
}
