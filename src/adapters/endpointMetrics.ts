// RequestsPerMinute of an online endpoint from Azure Monitor, through the ARM metrics API
// (`@azure/arm-monitor`), so the local emulator can serve it like any other ARM call.
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import type { EndpointMetrics, RequestCountBucket } from '../domain/ports.js';
import { toServiceError } from './errors.js';
import { armScope, type TransportOptions } from './http.js';

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
      credentialScopes: armScope(endpoint),
      retryOptions: options.transport.retryOptions,
      ...(options.transport.tlsOptions !== undefined && { tlsOptions: options.transport.tlsOptions }),
    });
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
      const series = response.value[0]?.timeseries ?? [];
      // One series per deployment dimension value when split; without a split, one series.
      return series.flatMap((s) =>
        (s.data ?? []).map((point) => ({
          timeStamp: new Date(point.timeStamp).toISOString(),
          total: point.total ?? undefined,
        })),
      );
    } catch (error) {
      throw toServiceError('MONITOR', `GET ${REQUESTS_PER_MINUTE} of ${endpointResourceId}`, error);
    }
  }
}
