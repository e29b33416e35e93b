import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the compiled app on the local host (npm test builds first), as `func start` would.
const repo = path.resolve(import.meta.dirname, '..', '..');
const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-appstart-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('app start', () => {
  it('refuses to start with bad settings, naming each bad key', () => {
    const result = spawnSync(
      process.execPath,
      [
        path.join(repo, 'dist', 'dev', 'host', 'cli.js'),
        ...['--app', repo, '--state', stateDir, '--port', '0'],
        ...['--setting', 'AZUREML_WORKSPACE=', '--setting', 'JOB_POLL_INTERVAL_SECONDS=soon'],
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "invalid settings: AZUREML_WORKSPACE is required but not set; JOB_POLL_INTERVAL_SECONDS must be a whole number from 1 to 86400, got 'soon'",
    );
  });
});
