// End to end on the real local stack, through the shipped CLI binary (dist/src/cli/main.js) in a
// child process, as an operator runs it after `npm start`: no --url, no --key, no storage flags;
// it finds the stack through the state file the stack writes (<state dir>/stack.json). `upload`
// of a small dataset, `runs watch` to Succeeded (exit 0), `runs list --json` showing the run.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import type { RunView } from '../../src/domain/runView.js';
import { APP_DIR, TEARDOWN_OFF, dumpLogsOnFailure, startE2eStack, type E2eStack } from './support.js';

const CLI = path.join(APP_DIR, 'dist', 'src', 'cli', 'main.js');
const RUN_TIMEOUT_MS = 90_000;

let e2e: E2eStack;
let dir: string;

beforeAll(async () => {
  e2e = await startE2eStack({ settings: TEARDOWN_OFF });
  dir = mkdtempSync(path.join(tmpdir(), 'cli-e2e-'));
}, 120_000);

afterAll(async () => {
  await e2e?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as a user runs it, told only where the stack's state folder is. */
function autopilot(...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, AUTOPILOT_STATE_DIR: e2e.stack.stateDir };
  for (const key of [
    'AUTOPILOT_URL',
    'AUTOPILOT_KEY',
    'AZURE_STORAGE_CONNECTION_STRING',
    'TRAINING_CONTAINER',
  ]) {
    delete env[key];
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: RUN_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface CliRun {
  readonly upload: CliResult;
  readonly runId: string;
  readonly watch: CliResult;
}
let cliRun: Promise<CliRun> | undefined;
/** One dataset uploaded and watched to its end, by the first case that needs it. */
function theCliRun(): Promise<CliRun> {
  cliRun ??= (async () => {
    const train = path.join(dir, 'ultrachat-sample.jsonl');
    writeFileSync(train, demoDataset(120));
    const upload = await autopilot('upload', train, '--line', 'cli-e2e', '--json');
    const runId = (JSON.parse(upload.stdout) as { runId: string }).runId;
    const watch = await autopilot('runs', 'watch', runId, '--interval', '0.5', '--timeout', '80');
    return { upload, runId, watch };
  })();
  return cliRun;
}

describe('the operator CLI on the local stack', () => {
  dumpLogsOnFailure(() => e2e);

  test('finds the stack through stack.json, which only its owner can read', () => {
    const file = path.join(e2e.stack.stateDir, 'stack.json');
    expect(e2e.stack.stackFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      hostUrl: e2e.stack.hostUrl,
      functionKey: e2e.stack.functionKey,
      storageConnectionString: e2e.stack.storageConnectionString,
      trainingContainer: e2e.stack.trainingContainer,
    });
  });

  test('upload prints the run id the BlobCreated event starts, and runs watch follows it to Succeeded (exit 0)', async () => {
    const { upload, runId, watch } = await theCliRun();
    expect(upload.code, upload.stderr).toBe(0);
    expect(watch.code, `${watch.stdout}\n${watch.stderr}`).toBe(0);
    const view = await e2e.run(runId);
    expect(view?.status).toBe('Succeeded');
    expect(view?.dataset.path).toBe('incoming/cli-e2e/train.jsonl');
    const last = watch.stdout.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      `run ${runId} Succeeded: ${view?.model?.name}:${view?.model?.version} serving on ${view?.endpoint?.name}`,
    );
  }, 120_000);

  test('runs list --json shows the run, Succeeded', async () => {
    const { runId } = await theCliRun();
    const list = await autopilot('runs', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const found = (JSON.parse(list.stdout) as { runs: RunView[] }).runs.filter((r) => r.runId === runId);
    expect(found.map((r) => r.status)).toEqual(['Succeeded']);
  }, 120_000);

  test('never prints the function key', async () => {
    const { upload, watch } = await theCliRun();
    const list = await autopilot('runs', 'list');
    for (const output of [upload, watch, list]) {
      expect(`${output.stdout}${output.stderr}`).not.toContain(e2e.stack.functionKey);
    }
  }, 120_000);
});
