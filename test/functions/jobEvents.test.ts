// functions/jobEvents.ts: an Event Grid trigger whose handler looks the run up through the REAL
// durable client (pointed at a local server playing the durable API).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FunctionName } from '../../src/names.js';
import {
  captureRegistrations,
  contextWithClient,
  hasDurableClient,
  startDurableApi,
  stubAppSettings,
  type DurableApi,
  type Registration,
} from './support.js';

let registered: Map<string, Registration>;
let durable: DurableApi;

beforeAll(async () => {
  registered = await captureRegistrations(() => import('../../functions/jobEvents.js'));
  durable = await startDurableApi();
  stubAppSettings();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await durable?.close();
});

describe('jobEvents', () => {
  it('registers an Event Grid trigger (not the blob trigger) with a durable client', () => {
    expect([...registered.keys()]).toEqual([FunctionName.jobEvents]);
    expect(registered.get(FunctionName.jobEvents)?.kind).toBe('eventGrid');
    expect(hasDurableClient(registered.get(FunctionName.jobEvents))).toBe(true);
  });

  it('looks the run up and raises nothing for an unknown run', async () => {
    await registered.get(FunctionName.jobEvents)?.options.handler(
      {
        topic:
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-autopilot-local/providers/Microsoft.MachineLearningServices/workspaces/mlw-autopilot-local',
        subject: 'experiments/e/runs/ft-00000000000000000000',
        eventType: 'Microsoft.MachineLearningServices.RunCompleted',
        data: {
          runId: 'ft-00000000000000000000',
          runType: 'azureml.PipelineRun',
          runTags: { 'autopilot-run-id': 'ft-00000000000000000000' },
        },
      },
      contextWithClient(FunctionName.jobEvents, durable.baseUrl),
    );
    expect(durable.requests).toEqual([
      'GET /runtime/webhooks/durabletask/instances/ft-00000000000000000000?showInput=true',
    ]);
  });
});

describe('jobEvents on a null event', () => {
  it('returns without throwing and asks the durable API nothing', async () => {
    const before = durable.requests.length;
    await expect(
      registered
        .get(FunctionName.jobEvents)
        ?.options.handler(null, contextWithClient(FunctionName.jobEvents, durable.baseUrl)),
    ).resolves.toBeUndefined();
    expect(durable.requests.slice(before)).toEqual([]);
  });
});
