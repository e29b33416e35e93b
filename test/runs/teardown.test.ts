// The idle-endpoint sweep over the real gateway and Azure Monitor client against the Azure ML
// emulator: endpoints made by the deploy activity, traffic made by the smoke test's scoring path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../dev/emulator/index.js';
import { createActivities } from '../../src/activities/index.js';
import { createPorts, type Ports } from '../../src/adapters/index.js';
import { loadConfig, type AppConfig } from '../../src/config.js';
import { sweepIdleEndpoints } from '../../src/runs/teardown.js';
import { modelVersionSpec } from '../../src/domain/deployment.js';
import { buildPipelineJob, datastoreUri } from '../../src/domain/pipelineJob.js';
import { LoggingContext } from './support.js';
import { deployNow } from '../support/deploy.js';

let emulator: RunningEmulator;
let stateDir: string;
let config: AppConfig;
let ports: Ports;

const BUSY = 'ft-busy00000000-aa01';
const IDLE = 'ft-idle00000000-aa02';

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'teardown-emulator-'));
  emulator = await startEmulator({
    stateDir,
    port: 0,
    config: { clock: { jobSeconds: 1, lroSeconds: 0.05 } },
  });
  config = loadConfig({
    // never contacted: the sweep touches no blobs
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    AZURE_SUBSCRIPTION_ID: emulator.subscriptionId,
    AZUREML_RESOURCE_GROUP: emulator.resourceGroup,
    AZUREML_WORKSPACE: emulator.workspace,
    AZUREML_LOCATION: emulator.location,
    ARM_ENDPOINT: emulator.baseUrl,
    AZUREML_CREDENTIAL: 'static',
    ARM_CA_CERT_PATH: emulator.caCertPath,
    AZUREML_REGISTRY_DISCOVERY_URL: emulator.baseUrl,
  });
  ports = createPorts(config, {
    retry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
    lroPollIntervalInMs: 20,
  });
  const activities = createActivities(ports, config);
  // a registered model needs a finished job behind it
  await ports.gateway.createJob(
    'ft-teardown',
    buildPipelineJob({
      runId: 'ft-teardown',
      experimentName: 'teardown',
      displayName: 'teardown',
      componentId: config.fineTune.pipelineComponent,
      modelId: (await ports.catalog.getLatest('Phi-4')).id,
      trainDataUri: datastoreUri('trainingdata', 'runs/ft-teardown/train.jsonl'),
      testDataUri: datastoreUri('trainingdata', 'runs/ft-teardown/test.jsonl'),
      computeName: 'gpu-cluster',
      parameters: {},
    }),
  );
  for (let i = 0; i < 200 && (await ports.gateway.getJob('ft-teardown'))?.status !== 'Completed'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const model = await ports.gateway.createModelVersion(
    modelVersionSpec({ runId: 'ft-teardown', modelName: 'Phi-4', jobName: 'ft-teardown' }),
  );
  for (const [runId, endpointName] of [
    ['ft-busy', BUSY],
    ['ft-idle', IDLE],
  ] as const) {
    const deployed = await deployNow(activities, { runId, endpointName, modelId: model.id });
    if (!deployed.ok) throw new Error(`${deployed.error.code}: ${deployed.error.message}`);
  }
  const key = await ports.gateway.getEndpointKey(BUSY);
  const busy = await ports.gateway.getEndpoint(BUSY);
  await ports.scoring.score(busy?.scoringUri ?? '', key, [{ role: 'user', content: 'hello' }]);
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const teardown = (dryRun: boolean) => ({
  idleWindowSeconds: 600,
  idleGraceSeconds: 0,
  dryRun,
  maxDeletions: 5,
});

const noActiveRuns = () => Promise.resolve(new Set<string>());

/**
 * Now, off a minute boundary: a 600 s window then spans 11 started minutes (floor of its start
 * up to its end), the count the keep reason names.
 */
function offMinute(): Date {
  const t = Date.now();
  return new Date(t % 60_000 === 0 ? t - 1 : t);
}

// The emulator serves a minute without requests as a point with no value (dev/emulator/facts/metrics.json
// "noData"): whether Azure Monitor writes 0 or NULL there is the resource provider's choice per
// metric (Microsoft Learn, azure-monitor/essentials/metrics-aggregation-explained.md "NULL and
// zero values"), not documented for RequestsPerMinute. So no-request minutes are unknown traffic
// here, and unknown is not idle. The delete path on proven zeros is covered over the wire in
// test/runs/teardownSweep.test.ts.
const UNKNOWN_TRAFFIC =
  'Azure Monitor reported no value for any of the 11 minute(s) of the last 600 s: unknown traffic is not idleness';

describe('idleEndpointTeardown sweep', () => {
  it('in a dry run says why it keeps each endpoint, with its estimated cost, and deletes nothing', async () => {
    const context = new LoggingContext('idleEndpointTeardown');
    const result = await sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: teardown(true),
        now: offMinute(),
        activeRunIds: noActiveRuns,
      },
      context,
    );
    expect(result.decisions.map((d) => [d.endpoint.name, d.action])).toEqual(
      expect.arrayContaining([
        [BUSY, 'keep'],
        [IDLE, 'keep'],
      ]),
    );
    // Standard_NC24ads_A100_v4 (the default INFERENCE_INSTANCE_TYPE) at $3.67/h
    expect(context.lines).toContain(
      `information: idleEndpointTeardown: kept ${IDLE} (run ft-idle): ${UNKNOWN_TRAFFIC}; costs ~$3.67/h (estimate)`,
    );
    expect(context.lines).toContain(
      `information: idleEndpointTeardown: kept ${BUSY} (run ft-busy): 1 request(s) in the last 600 s; costs ~$3.67/h (estimate)`,
    );
    expect(await ports.gateway.getEndpoint(IDLE)).toBeDefined();
  });

  it('keeps an idle endpoint whose run is still in progress, and deletes nothing when runs cannot be read', async () => {
    const context = new LoggingContext('idleEndpointTeardown');
    const result = await sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: teardown(false),
        now: new Date(),
        activeRunIds: () => Promise.resolve(new Set(['ft-idle'])),
      },
      context,
    );
    expect(result.decisions.map((d) => [d.endpoint.name, d.action, d.reason])).toEqual(
      expect.arrayContaining([[IDLE, 'keep', 'its run ft-idle is still in progress']]),
    );
    expect(await ports.gateway.getEndpoint(IDLE)).toBeDefined();

    const unreadable = sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: teardown(false),
        now: new Date(),
        activeRunIds: () => Promise.reject(new Error('task hub unreachable')),
      },
      new LoggingContext('idleEndpointTeardown'),
    );
    await expect(unreadable).rejects.toThrow('task hub unreachable');
    expect(await ports.gateway.getEndpoint(IDLE)).toBeDefined();
  });

  it('keeps the endpoint whose minutes have no value and the one with traffic, deleting neither', async () => {
    const context = new LoggingContext('idleEndpointTeardown');
    const result = await sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: teardown(false),
        now: offMinute(),
        activeRunIds: noActiveRuns,
      },
      context,
    );
    expect(result.failed).toEqual([]);
    expect(result.decisions.map((d) => [d.endpoint.name, d.action, d.reason])).toEqual(
      expect.arrayContaining([
        [IDLE, 'keep', UNKNOWN_TRAFFIC],
        [BUSY, 'keep', '1 request(s) in the last 600 s'],
      ]),
    );
    // Nothing was started: both endpoints are still there and settled.
    expect((await ports.gateway.getEndpoint(IDLE))?.provisioningState).toBe('Succeeded');
    expect((await ports.gateway.getEndpoint(BUSY))?.provisioningState).toBe('Succeeded');
    expect(context.lines.at(-1)).toBe(
      'information: idleEndpointTeardown: 2 owned endpoint(s): 0 deleted, 0 would delete (dry run), 2 kept',
    );
  });
});
