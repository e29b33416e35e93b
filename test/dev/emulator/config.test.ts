// The emulator's seed and test knobs come from a config file: computes, clock, faults, subscriptions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../dev/emulator/index.js';
import { admin, pipelineJob, startHarness, startWebhook } from './harness.js';

describe('emulator config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aml-emulator-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seeds computes and applies clock and faults from the file', async () => {
    const file = join(dir, 'emulator.json');
    writeFileSync(
      file,
      JSON.stringify({
        computes: [
          {
            name: 'a100-cluster',
            vmSize: 'Standard_NC24ads_A100_v4',
            provisioningState: 'Succeeded',
            minNodeCount: 0,
            maxNodeCount: 1,
          },
        ],
        clock: { jobSeconds: 42 },
        faults: [{ operation: 'Compute_Get', status: 503, count: 1 }],
      }),
    );
    const h = await startHarness({ config: file }, join(dir, 'state'));
    try {
      await expect(h.ml.computeOperations.get(h.rg, h.ws, 'a100-cluster')).rejects.toMatchObject({
        statusCode: 503,
      });
      const compute = await h.ml.computeOperations.get(h.rg, h.ws, 'a100-cluster');
      expect(compute.properties?.provisioningState).toBe('Succeeded');
      await expect(h.ml.computeOperations.get(h.rg, h.ws, 'gpu-cluster')).rejects.toMatchObject({
        statusCode: 404,
      });
      const state = await admin<{ clock: unknown }>(h.emulator, 'GET', 'state');
      expect(state.body.clock).toEqual({ jobSeconds: 42, lroSeconds: 5 });
    } finally {
      await h.close();
    }
  });

  it('delivers to a subscription from the config, with the handshake before the first event', async () => {
    const hook = await startWebhook();
    const h = await startHarness(
      {
        config: {
          clock: { jobSeconds: 0.3, lroSeconds: 0.1 },
          subscriptions: {
            app: { endpointUrl: hook.url, eventTypes: ['Microsoft.MachineLearningServices.RunCompleted'] },
          },
        },
      },
      join(dir, 'state-subs'),
    );
    try {
      expect(hook.handshakes).toBe(0);
      await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-config', pipelineJob('ft-config'));
      await hook.waitFor((events) => events.some((e) => e.data.runId === 'ft-config'));
      expect(hook.handshakes).toBe(1);
      expect(new Set(hook.events.map((e) => e.eventType))).toEqual(
        new Set(['Microsoft.MachineLearningServices.RunCompleted']),
      );
    } finally {
      await h.close();
      await hook.close();
    }
  });

  it('names the file when it cannot be read', async () => {
    const missing = join(dir, 'nope.json');
    await expect(startEmulator({ stateDir: join(dir, 'state2'), config: missing })).rejects.toThrow(
      `emulator config ${missing}:`,
    );
  });
});
