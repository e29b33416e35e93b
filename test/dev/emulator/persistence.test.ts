// With a state file, a restarted emulator keeps its jobs (still moving on their timeline), endpoints,
// keys and certificate. (The standalone command is tested in test/dev/cli/emulator.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, https, pipelineJob, startHarness, waitUntil, type Harness } from './harness.js';

const poll = { updateIntervalInMs: 20 };

describe('emulator persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aml-emulator-persist-'));
  const stateFile = join(dir, 'state.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps jobs, endpoints, keys and the CA across a restart', async () => {
    const first: Harness = await startHarness({ stateFile }, dir);
    await first.ml.jobs.createOrUpdate(first.rg, first.ws, 'ft-persist', pipelineJob('ft-persist'));
    await first.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      first.rg,
      first.ws,
      'ep-persist',
      { location: 'eastus', properties: { authMode: 'Key' }, tags: { keep: 'me' } },
      poll,
    );
    const keys = await first.ml.onlineEndpoints.listKeys(first.rg, first.ws, 'ep-persist');
    const ca = first.emulator.caCert;
    await first.emulator.stop();

    const second = await startHarness({ stateFile }, dir);
    try {
      expect(second.emulator.caCert).toBe(ca);
      const job = await waitUntil(
        () => second.ml.jobs.get(second.rg, second.ws, 'ft-persist'),
        (j) => j.properties.status === 'Completed',
      );
      expect(job.properties.tags).toEqual({
        'autopilot-run-id': 'ft-persist',
        'autopilot-owner': 'finetune-autopilot',
      });
      const endpoint = await second.ml.onlineEndpoints.get(second.rg, second.ws, 'ep-persist');
      expect(endpoint.properties.provisioningState).toBe('Succeeded');
      expect(endpoint.tags).toEqual({ keep: 'me' });
      expect(await second.ml.onlineEndpoints.listKeys(second.rg, second.ws, 'ep-persist')).toEqual(keys);
      // The scoring URI follows the new port; the key still authenticates (no deployment yet: 404, not 401).
      const scored = await https(
        second.emulator,
        'POST',
        endpoint.properties.scoringUri!,
        { input_data: { input_string: [{ role: 'user', content: 'hi' }] } },
        { authorization: `Bearer ${keys.primaryKey}` },
      );
      expect(scored.status).toBe(404);
      expect(scored.body).toMatchObject({ error: { code: 'NoValidDeployments' } });
    } finally {
      await second.close();
    }
  });

  it('finishes after a restart an endpoint creation that was still in progress when it stopped', async () => {
    const file = join(dir, 'in-progress.json');
    const first: Harness = await startHarness({ stateFile: file }, dir);
    await admin(first.emulator, 'PUT', 'clock', { lroSeconds: 1 });
    await first.ml.onlineEndpoints.beginCreateOrUpdate(first.rg, first.ws, 'ep-midway', {
      location: 'eastus',
      properties: { authMode: 'Key' },
    });
    const before = await first.ml.onlineEndpoints.get(first.rg, first.ws, 'ep-midway');
    await first.emulator.stop();

    const second = await startHarness({ stateFile: file }, dir);
    try {
      expect(before.properties.provisioningState).toBe('Creating');
      const after = await waitUntil(
        () => second.ml.onlineEndpoints.get(second.rg, second.ws, 'ep-midway'),
        (e) => e.properties.provisioningState === 'Succeeded',
      );
      expect(after.name).toBe('ep-midway');
    } finally {
      await second.close();
    }
  });
});
