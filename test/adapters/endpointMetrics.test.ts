import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential, STATIC_TOKEN } from '../../src/adapters/credential.js';
import { MonitorEndpointMetrics } from '../../src/adapters/endpointMetrics.js';
import { transportOptions } from '../../src/adapters/http.js';
import { RecordingServer } from '../support/recordingServer.js';

const ENDPOINT_ID =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ft-abc-0001';

let server: RecordingServer;
let metrics: MonitorEndpointMetrics;

beforeAll(async () => {
  server = await RecordingServer.start();
  metrics = new MonitorEndpointMetrics({
    armEndpoint: server.baseUrl,
    subscriptionId: 's',
    credential: new StaticTokenCredential(),
    transport: transportOptions(server.caPath, { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 5 }),
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('MonitorEndpointMetrics', () => {
  it('asks RequestsPerMinute per minute over the window; missing totals stay undefined', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: '2026-11-25T10:00:00Z/2026-11-25T10:03:00Z',
        interval: 'PT1M',
        value: [
          {
            id: `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics/RequestsPerMinute`,
            type: 'Microsoft.Insights/metrics',
            name: { value: 'RequestsPerMinute', localizedValue: 'Requests Per Minute' },
            unit: 'Count',
            timeseries: [
              {
                metadatavalues: [],
                data: [
                  { timeStamp: '2026-11-25T10:00:00Z', total: 3 },
                  { timeStamp: '2026-11-25T10:01:00Z' },
                  { timeStamp: '2026-11-25T10:02:00Z', total: 0 },
                ],
              },
            ],
          },
        ],
      },
    });

    const buckets = await metrics.requestsPerMinute(
      ENDPOINT_ID,
      new Date('2026-11-25T10:00:00Z'),
      new Date('2026-11-25T10:03:00Z'),
    );

    expect(buckets).toEqual([
      { timeStamp: '2026-11-25T10:00:00.000Z', total: 3 },
      { timeStamp: '2026-11-25T10:01:00.000Z', total: undefined },
      { timeStamp: '2026-11-25T10:02:00.000Z', total: 0 },
    ]);
    const [request] = server.recorded('GET');
    expect(request?.path).toBe(`${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`);
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      metricnames: 'RequestsPerMinute',
      timespan: '2026-11-25T10:00:00.000Z/2026-11-25T10:03:00.000Z',
      interval: 'PT1M',
      aggregation: 'Average,Total',
      'api-version': '2024-02-01',
    });
    expect(request?.headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
  });

  it('adds up series split by deployment, minute by minute', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: 'x',
        value: [
          {
            id: 'm',
            name: { value: 'RequestsPerMinute' },
            unit: 'Count',
            timeseries: [
              {
                data: [
                  { timeStamp: '2026-11-25T10:00:00Z', total: 2 },
                  { timeStamp: '2026-11-25T10:01:00Z' },
                ],
              },
              {
                data: [
                  { timeStamp: '2026-11-25T10:00:00Z', total: 1 },
                  { timeStamp: '2026-11-25T10:01:00Z' },
                ],
              },
            ],
          },
        ],
      },
    });

    expect(await metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).toEqual([
      { timeStamp: '2026-11-25T10:00:00.000Z', total: 3 },
      { timeStamp: '2026-11-25T10:01:00.000Z', total: undefined },
    ]);
  });

  it('no time series at all is an empty list', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: 'x',
        value: [{ id: 'm', name: { value: 'RequestsPerMinute' }, unit: 'Count', timeseries: [] }],
      },
    });

    expect(await metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).toEqual([]);
  });

  it('takes the Average of a minute when it carries no Total (the default aggregation)', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: 'x',
        value: [
          {
            id: 'm',
            name: { value: 'RequestsPerMinute' },
            unit: 'Count',
            timeseries: [
              {
                data: [
                  { timeStamp: '2026-11-25T10:00:00Z', average: 0 },
                  { timeStamp: '2026-11-25T10:01:00Z', average: 2.5 },
                ],
              },
            ],
          },
        ],
      },
    });

    expect(await metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).toEqual([
      { timeStamp: '2026-11-25T10:00:00.000Z', total: 0 },
      { timeStamp: '2026-11-25T10:01:00.000Z', total: 2.5 },
    ]);
  });

  it('reads null aggregations as no value, not 0', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: 'x',
        value: [
          {
            id: 'm',
            name: { value: 'RequestsPerMinute' },
            unit: 'Count',
            timeseries: [{ data: [{ timeStamp: '2026-11-25T10:00:00Z', total: null, average: null }] }],
          },
        ],
      },
    });

    expect(await metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).toEqual([
      { timeStamp: '2026-11-25T10:00:00.000Z', total: undefined },
    ]);
  });

  it('leaves a minute unknown when one series of several has no value for it', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 200,
      body: {
        timespan: 'x',
        value: [
          {
            id: 'm',
            name: { value: 'RequestsPerMinute' },
            unit: 'Count',
            timeseries: [
              { data: [{ timeStamp: '2026-11-25T10:00:00Z', total: 0 }] },
              { data: [{ timeStamp: '2026-11-25T10:00:00Z' }] },
            ],
          },
        ],
      },
    });

    expect(await metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).toEqual([
      { timeStamp: '2026-11-25T10:00:00.000Z', total: undefined },
    ]);
  });

  it('a 403 is MONITOR.FORBIDDEN with the service message', async () => {
    server.on('GET', `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics`, {
      status: 403,
      body: { error: { code: 'AuthorizationFailed', message: 'no read permission on metrics' } },
    });

    await expect(metrics.requestsPerMinute(ENDPOINT_ID, new Date(0), new Date(60_000))).rejects.toMatchObject(
      {
        code: 'MONITOR.FORBIDDEN',
        message: expect.stringContaining('AuthorizationFailed: no read permission on metrics'),
      },
    );
  });
});
