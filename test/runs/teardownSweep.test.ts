// The sweep's reads and writes on the wire, over the real gateway and Monitor clients against a
// recording HTTPS server (not the emulator: these cases need exact control of every answer, such
// as minutes without values, Monitor failing, and how many requests are in flight).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureMlArmGateway } from '../../src/adapters/azureMlGateway.js';
import { StaticTokenCredential } from '../../src/adapters/credential.js';
import { MonitorEndpointMetrics } from '../../src/adapters/endpointMetrics.js';
import { EventGridLifecycleEvents } from '../../src/adapters/lifecycleEvents.js';
import { transportOptions } from '../../src/adapters/http.js';
import { sweepIdleEndpoints, type TeardownDeps } from '../../src/runs/teardown.js';
import { RecordingServer, type RecordedRequest, type Reply } from '../support/recordingServer.js';
import { LoggingContext } from './support.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'rg';
const WS = 'ws';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
const NOW = new Date('2026-12-01T12:00:00.000Z');
const OWNED = { 'autopilot-owner': 'finetune-autopilot' };
const METRICS = /\/onlineEndpoints\/([^/]+)\/providers\/Microsoft\.Insights\/metrics$/;

let server: RecordingServer;
let deps: Omit<TeardownDeps, 'activeRunIds'>;

/** The sweep's dependencies over real clients talking to `target` (no transport retries). */
function depsOn(target: RecordingServer): Omit<TeardownDeps, 'activeRunIds'> {
  const transport = transportOptions(target.caPath, {
    maxRetries: 0,
    retryDelayInMs: 1,
    maxRetryDelayInMs: 1,
  });
  return {
    gateway: new AzureMlArmGateway({
      settings: {
        subscriptionId: SUB,
        resourceGroup: RG,
        workspace: WS,
        location: 'eastus',
        armEndpoint: target.baseUrl,
      },
      credential: new StaticTokenCredential(),
      transport,
      lroPollIntervalInMs: 5,
    }),
    endpointMetrics: new MonitorEndpointMetrics({
      armEndpoint: target.baseUrl,
      subscriptionId: SUB,
      credential: new StaticTokenCredential(),
      transport,
    }),
    settings: { idleWindowSeconds: 600, idleGraceSeconds: 3600, dryRun: false, maxDeletions: 100 },
    now: NOW,
  };
}

beforeAll(async () => {
  server = await RecordingServer.start();
  deps = depsOn(server);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/** An online endpoint as OnlineEndpoints_List returns it (ARM shape), created at 08:00. */
function endpoint(name: string, tags: Record<string, string> = OWNED) {
  return {
    id: `${WS_PATH}/onlineEndpoints/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
    location: 'eastus',
    tags,
    systemData: { createdAt: '2026-12-01T08:00:00Z' },
    properties: { authMode: 'Key', provisioningState: 'Succeeded', traffic: {} },
  };
}

function serveEndpoints(endpoints: ReturnType<typeof endpoint>[]): void {
  server.on('GET', `${WS_PATH}/onlineEndpoints`, { status: 200, body: { value: endpoints } });
  server.on('DELETE', /\/onlineEndpoints\/[^/]+$/, { status: 202, headers: { 'retry-after': '5' } });
}

/** RequestsPerMinute for each minute of the asked timespan, `total` from `value(minute)` (undefined: no value). */
function metricsReply(request: RecordedRequest, value: (minute: string) => number | undefined): Reply {
  const [from, to] = (request.query.get('timespan') ?? '').split('/');
  const data: Record<string, unknown>[] = [];
  for (let t = Date.parse(from ?? ''); t < Date.parse(to ?? ''); t += 60_000) {
    const timeStamp = new Date(t).toISOString().replace('.000Z', 'Z');
    const total = value(timeStamp);
    data.push(total === undefined ? { timeStamp } : { timeStamp, total });
  }
  return {
    status: 200,
    body: {
      timespan: request.query.get('timespan'),
      interval: 'PT1M',
      value: [{ id: 'm', name: { value: 'RequestsPerMinute' }, unit: 'Count', timeseries: [{ data }] }],
    },
  };
}

const endpointOf = (request: RecordedRequest) => METRICS.exec(request.path)?.[1] ?? '';
const noRuns = () => Promise.resolve(new Set<string>());

describe('sweepIdleEndpoints on the wire', () => {
  it('reads no metrics for endpoints it keeps by tag, by an active run or by age', async () => {
    serveEndpoints([
      endpoint('pinned', { ...OWNED, 'autopilot-keep': 'true' }),
      endpoint('running', { ...OWNED, 'autopilot-run-id': 'ft-busy' }),
      { ...endpoint('young'), systemData: { createdAt: '2026-12-01T11:30:00Z' } },
      endpoint('candidate'),
    ]);
    server.on('GET', METRICS, (request) => metricsReply(request, () => 0));

    const result = await sweepIdleEndpoints(
      { ...deps, activeRunIds: () => Promise.resolve(new Set(['ft-busy'])) },
      new LoggingContext('idleEndpointTeardown'),
    );

    expect(server.recorded('GET', METRICS).map(endpointOf)).toEqual(['candidate']);
    expect(result.decisions.map((d) => [d.endpoint.name, d.action])).toEqual([
      ['pinned', 'keep'],
      ['running', 'keep'],
      ['young', 'keep'],
      ['candidate', 'delete'],
    ]);
  });

  it('asks Monitor for the window plus the metrics delay, Average and Total, per minute', async () => {
    serveEndpoints([endpoint('candidate')]);
    server.on('GET', METRICS, (request) => metricsReply(request, () => 0));

    await sweepIdleEndpoints(
      { ...deps, metricsDelaySeconds: 300, activeRunIds: noRuns },
      new LoggingContext('idleEndpointTeardown'),
    );

    const [request] = server.recorded('GET', METRICS);
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      metricnames: 'RequestsPerMinute',
      timespan: '2026-12-01T11:45:00.000Z/2026-12-01T12:00:00.000Z',
      interval: 'PT1M',
      aggregation: 'Average,Total',
      'api-version': '2024-02-01',
    });
  });

  it('starts the deletion of the idle endpoint with one DELETE and does not wait for it', async () => {
    serveEndpoints([endpoint('idle'), endpoint('blind')]);
    server.on('GET', METRICS, (request) =>
      metricsReply(request, (minute) =>
        endpointOf(request) === 'blind' && minute === '2026-12-01T11:55:00Z' ? undefined : 0,
      ),
    );
    const context = new LoggingContext('idleEndpointTeardown');

    const result = await sweepIdleEndpoints({ ...deps, activeRunIds: noRuns }, context);

    expect(server.recorded('DELETE').map((r) => r.path)).toEqual([`${WS_PATH}/onlineEndpoints/idle`]);
    expect(server.recorded('GET', /\/onlineEndpoints\/idle$/)).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(context.lines).toEqual([
      'information: idleEndpointTeardown: deleted idle: no requests in the last 600 s: every minute reported 0; hourly cost unknown',
      'information: idleEndpointTeardown: kept blind: no request data for 1 of the 10 minute(s) of the last 600 s (first gap at 2026-12-01T11:55:00.000Z): unknown traffic is not idleness; hourly cost unknown',
      'information: idleEndpointTeardown: 2 owned endpoint(s): 1 deleted, 0 would delete (dry run), 1 kept',
    ]);
  });

  it('after 3 Monitor failures in a row stops reading metrics and keeps the rest, saying so', async () => {
    serveEndpoints(Array.from({ length: 10 }, (_, i) => endpoint(`ep-${i}`)));
    server.on('GET', METRICS, {
      status: 503,
      body: { error: { code: 'ServiceUnavailable', message: 'Monitor is down' } },
    });
    const context = new LoggingContext('idleEndpointTeardown');

    const result = await sweepIdleEndpoints({ ...deps, concurrency: 1, activeRunIds: noRuns }, context);

    expect(server.recorded('GET', METRICS).map(endpointOf)).toEqual(['ep-0', 'ep-1', 'ep-2']);
    expect(server.recorded('DELETE')).toEqual([]);
    expect(result.decisions.every((d) => d.action === 'keep')).toBe(true);
    expect(result.decisions[9]?.reason).toBe(
      'request metrics unavailable: not read: Azure Monitor failed 3 times in a row, so this sweep keeps the rest',
    );
    expect(context.lines).toContain(
      'warning: idleEndpointTeardown: Azure Monitor failed 3 times in a row; 7 endpoint(s) kept without reading their metrics',
    );
  });

  it('keeps an endpoint whose metrics read outlasts its time budget, and counts it as a Monitor failure', async () => {
    serveEndpoints([endpoint('slow')]);
    server.on('GET', METRICS, async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return metricsReply(request, () => 0);
    });
    const context = new LoggingContext('idleEndpointTeardown');

    const result = await sweepIdleEndpoints(
      { ...deps, metricsReadTimeoutInMs: 100, activeRunIds: noRuns },
      context,
    );

    expect(result.decisions.map((d) => [d.endpoint.name, d.action, d.reason])).toEqual([
      ['slow', 'keep', 'request metrics unavailable: no answer within 100 ms'],
    ]);
    expect(server.recorded('DELETE')).toEqual([]);
    expect(context.lines).toContain(
      'warning: idleEndpointTeardown: metrics of slow unavailable: no answer within 100 ms',
    );
  });

  it('once the breaker opens, ends the metrics reads still in flight instead of waiting for them', async () => {
    // its own server: the reads it ends may still land after the test, and must not land in another's
    const own = await RecordingServer.start();
    try {
      own.on('GET', `${WS_PATH}/onlineEndpoints`, {
        status: 200,
        body: { value: Array.from({ length: 6 }, (_, i) => endpoint(`ep-${i}`)) },
      });
      // ep-0..2 are refused at once; ep-3..5 would answer (idle) only after 5 s
      own.on('GET', METRICS, async (request) => {
        if (['ep-0', 'ep-1', 'ep-2'].includes(endpointOf(request))) {
          return { status: 400, body: { error: { code: 'BadRequest', message: 'Monitor refused' } } };
        }
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        return metricsReply(request, () => 0);
      });
      const context = new LoggingContext('idleEndpointTeardown');
      const started = Date.now();

      const result = await sweepIdleEndpoints(
        { ...depsOn(own), concurrency: 6, activeRunIds: noRuns },
        context,
      );

      expect(Date.now() - started).toBeLessThan(4_000);
      expect(own.recorded('DELETE')).toEqual([]);
      expect(result.decisions.map((d) => [d.endpoint.name, d.action, d.reason]).slice(3)).toEqual(
        ['ep-3', 'ep-4', 'ep-5'].map((name) => [
          name,
          'keep',
          'request metrics unavailable: not read: Azure Monitor failed 3 times in a row, so this sweep keeps the rest',
        ]),
      );
      expect(context.lines).toContain(
        'warning: idleEndpointTeardown: Azure Monitor failed 3 times in a row; 3 endpoint(s) kept without reading their metrics',
      );
    } finally {
      await own.close();
    }
  });

  it('reads metrics with at most `concurrency` requests in flight', async () => {
    serveEndpoints(Array.from({ length: 12 }, (_, i) => endpoint(`ep-${i}`)));
    let inFlight = 0;
    let most = 0;
    server.on('GET', METRICS, async (request) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return metricsReply(request, () => 1);
    });

    await sweepIdleEndpoints({ ...deps, concurrency: 4, activeRunIds: noRuns }, new LoggingContext('t'));

    expect(server.recorded('GET', METRICS)).toHaveLength(12);
    expect(most).toBe(4);
  });
});

describe('teardown.deleted events', () => {
  const SOURCE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/func-autopilot`;
  const events = () =>
    new EventGridLifecycleEvents({
      topicEndpoint: `${server.baseUrl}/api/events`,
      source: SOURCE,
      credential: new StaticTokenCredential(),
      transport: transportOptions(server.caPath, { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 }),
    });

  it('publishes one teardown.deleted per deletion started, for its run, with the reason', async () => {
    serveEndpoints([endpoint('idle', { ...OWNED, 'autopilot-run-id': 'ft-idle' })]);
    server.on('GET', METRICS, (request) => metricsReply(request, () => 0));
    server.on('POST', '/api/events', { status: 200 });

    await sweepIdleEndpoints({ ...deps, events: events(), activeRunIds: noRuns }, new LoggingContext('t'));

    const [post] = server.recorded('POST', '/api/events');
    const sent = JSON.parse(post?.body ?? '[]') as Record<string, unknown>[];
    expect(
      sent.map((e) => [e.type, e.source, e.subject, e.time, (e.data as { reason: string }).reason]),
    ).toEqual([
      [
        'finetune-autopilot.teardown.deleted',
        SOURCE,
        'runs/ft-idle',
        '2026-12-01T12:00:00.000Z',
        'no requests in the last 600 s: every minute reported 0',
      ],
    ]);
  });

  it('a topic that fails is logged as a warning and the deletion still counts', async () => {
    serveEndpoints([endpoint('idle')]);
    server.on('GET', METRICS, (request) => metricsReply(request, () => 0));
    server.on('POST', '/api/events', { status: 503, body: { error: { code: '503', message: 'busy' } } });
    const context = new LoggingContext('idleEndpointTeardown');

    const result = await sweepIdleEndpoints({ ...deps, events: events(), activeRunIds: noRuns }, context);

    expect([result.failed, server.recorded('DELETE').length]).toEqual([[], 1]);
    expect(context.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: idleEndpointTeardown: publishing 1 teardown.deleted event(s) failed: POST 1 event(s) (finetune-autopilot.teardown.deleted) to the lifecycle topic: HTTP 503 503: busy (gave up after retries)',
    ]);
  });

  it('publishes nothing when no deletion was started', async () => {
    serveEndpoints([endpoint('busy')]);
    server.on('GET', METRICS, (request) => metricsReply(request, () => 1));
    server.on('POST', '/api/events', { status: 200 });

    await sweepIdleEndpoints({ ...deps, events: events(), activeRunIds: noRuns }, new LoggingContext('t'));

    expect(server.recorded('POST', '/api/events')).toEqual([]);
  });
});
