// With a state file, a restarted emulator keeps its jobs (still moving on their timeline), endpoints,
// keys and certificate; and the standalone command prints the ready line and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { https, pipelineJob, startHarness, waitUntil, type Harness } from './harness.js';

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
});

describe('autopilot emulator (standalone)', () => {
  const cli = resolve('dist/src/cli/main.js');

  it('prints the ready line as its last stdout line and stops cleanly on SIGTERM', async () => {
    expect(existsSync(cli), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), 'aml-emulator-cli-'));
    const child = spawn(process.execPath, [cli, 'emulator', '--port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const lines = out.split('\n');
          if (lines.length > 1) resolveLine(lines[lines.length - 2]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before ready`)));
      });
      const ready = JSON.parse(line) as Record<string, string>;
      expect(Object.keys(ready)).toEqual([
        'baseUrl',
        'caCertPath',
        'subscriptionId',
        'resourceGroup',
        'workspace',
        'location',
        'adminUrl',
      ]);
      expect(ready).toMatchObject({
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'rg-autopilot-local',
        workspace: 'mlw-autopilot-local',
        location: 'eastus',
      });
      expect(ready.caCertPath).toBe(join(cwd, '.autopilot', 'emulator', 'ca.pem'));
      expect(ready.adminUrl).toBe(`${ready.baseUrl}/_emulator/`);
      const exited = new Promise<number | null>((resolveExit) =>
        child.once('exit', (code) => resolveExit(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
