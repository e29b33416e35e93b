// `npm run build && node dist/test/bench/sweep.bench.js [--endpoints N]`: the idle-endpoint sweep
// over the real gateway and Monitor clients against a local HTTPS server answering at once, so
// the figures are the sweep's own cost. Two cases: N owned idle endpoints (every minute reported
// 0, TEARDOWN_MAX_DELETIONS 5), and the same with Monitor failing (503 on every read, production
// retries). Targets (issue 14), reported not asserted: < 10 s and < 30 s for N = 1,000.
import type { InvocationContext } from '@azure/functions';
import { AzureMlArmGateway } from '../../src/adapters/azureMlGateway.js';
import { StaticTokenCredential } from '../../src/adapters/credential.js';
import { MonitorEndpointMetrics } from '../../src/adapters/endpointMetrics.js';
import { transportOptions } from '../../src/adapters/http.js';
import { sweepIdleEndpoints } from '../../src/runs/teardown.js';
import { RecordingServer, type RecordedRequest } from '../support/recordingServer.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws`;
const count = Number(/--endpoints[= ](\d+)/.exec(process.argv.join(' '))?.[1] ?? 1000);

function minutes(request: RecordedRequest): { timeStamp: string; total: number }[] {
  const [from, to] = (request.query.get('timespan') ?? '').split('/');
  const data: { timeStamp: string; total: number }[] = [];
  // Monitor stamps each PT1M bucket with its minute, from the one the timespan starts in.
  for (let t = Math.floor(Date.parse(from ?? '') / 60_000) * 60_000; t < Date.parse(to ?? ''); t += 60_000) {
    data.push({ timeStamp: new Date(t).toISOString(), total: 0 });
  }
  return data;
}

/** The sweep only logs through the context; the bench drops the lines. */
const quiet = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as InvocationContext;

async function run(failingMonitor: boolean): Promise<void> {
  const server = await RecordingServer.start();
  const endpoints = Array.from({ length: count }, (_, i) => ({
    id: `${WS_PATH}/onlineEndpoints/ep-${i}`,
    name: `ep-${i}`,
    location: 'eastus',
    tags: { 'autopilot-owner': 'finetune-autopilot' },
    systemData: { createdAt: '2026-01-01T00:00:00Z' },
    properties: { authMode: 'Key', provisioningState: 'Succeeded', traffic: { demo: 100 } },
  }));
  server.on('GET', `${WS_PATH}/onlineEndpoints`, { status: 200, body: { value: endpoints } });
  server.on('GET', /\/deployments\/demo$/, {
    status: 200,
    body: {
      name: 'demo',
      location: 'eastus',
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        instanceType: 'Standard_NC24ads_A100_v4',
        provisioningState: 'Succeeded',
      },
    },
  });
  server.on('DELETE', /\/onlineEndpoints\/[^/]+$/, { status: 202 });
  server.on('GET', /\/providers\/Microsoft\.Insights\/metrics$/, (request) =>
    failingMonitor
      ? { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'Monitor is down' } } }
      : {
          status: 200,
          body: {
            value: [
              {
                id: 'm',
                name: { value: 'RequestsPerMinute' },
                unit: 'Count',
                timeseries: [{ data: minutes(request) }],
              },
            ],
          },
        },
  );
  const transport = transportOptions(server.caPath); // production retries
  const settings = {
    subscriptionId: SUB,
    resourceGroup: 'rg',
    workspace: 'ws',
    location: 'eastus',
    armEndpoint: server.baseUrl,
  };
  const credential = new StaticTokenCredential();
  const started = Date.now();
  const result = await sweepIdleEndpoints(
    {
      gateway: new AzureMlArmGateway({ settings, credential, transport }),
      endpointMetrics: new MonitorEndpointMetrics({
        armEndpoint: server.baseUrl,
        subscriptionId: SUB,
        credential,
        transport,
      }),
      settings: { idleWindowSeconds: 7200, idleGraceSeconds: 3600, dryRun: false, maxDeletions: 5 },
      now: new Date(),
      activeRunIds: () => Promise.resolve(new Set<string>()),
    },
    quiet,
  );
  const seconds = (Date.now() - started) / 1000;
  const deleted = result.decisions.filter((d) => d.action === 'delete').length;
  console.log(
    `${failingMonitor ? 'failing Monitor' : 'idle endpoints '}: ${count} endpoint(s) swept in ${seconds.toFixed(2)} s; ` +
      `${deleted} deletion(s) started, ${server.recorded('GET', /metrics$/).length} metrics read(s), ${server.recorded('DELETE').length} DELETE(s) ` +
      `(target < ${failingMonitor ? 30 : 10} s)`,
  );
  await server.close();
}

await run(false);
await run(true);
