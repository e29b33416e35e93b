// The standalone emulator command (npm run emulator) prints the ready line and stops on SIGTERM.
// It runs the compiled entry (npm test builds first), as `npm run emulator` does.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('dev/cli emulator (standalone)', () => {
  const cli = resolve('dist/dev/cli/main.js');

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
