// What test/e2e/scenarios.test.ts shares: one real local stack (Azurite in memory, the Azure ML
// emulator, the compiled Functions host, the storage-events publisher) and small clients over real
// HTTP(S): the app's API with fetch, the training container with @azure/storage-blob, ARM and the
// emulator's admin API with the emulator's CA. Every wait is a poll with a deadline that says what
// it waited for and what it saw last.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { httpsRequest } from '../../dev/httpsClient.js';
import { startStack, type RunningStack, type StackOptions } from '../../dev/stack.js';
import { computeRunId, unquoteEtag } from '../../src/domain/runId.js';
import type { RunView } from '../../src/domain/runView.js';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A pipeline job takes 5 simulated seconds, an endpoint/deployment operation 1. */
export const SCENARIO_CLOCK = { jobSeconds: 5, lroSeconds: 1 };

/** Short run timings; teardown off (dry run, hourly): these scenarios never wait for it. */
export const SCENARIO_SETTINGS = {
  JOB_POLL_INTERVAL_SECONDS: '3',
  JOB_DEADLINE_SECONDS: '300',
  TEARDOWN_SCHEDULE: '0 0 * * * *',
  TEARDOWN_DRY_RUN: 'true',
} as const;

const TERMINAL = new Set(['Succeeded', 'NotDeployed', 'Failed', 'Canceled']);
// The emulator accepts any bearer token; nothing here leaves 127.0.0.1.
const ARM_TOKEN = { authorization: 'Bearer scenario-local' };

export interface Answer {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the wire, checked by the assertions
  body: any;
}

export interface ScenarioStack {
  readonly stack: RunningStack;
  /** Every log line so far (host, emulator, storage events). */
  readonly logs: string[];
  readonly container: ContainerClient;
  /** The app's HTTP API with the function key; every answer is checked for leaks. */
  api(method: string, route: string, body?: unknown): Promise<Answer>;
  /** Uploads a blob; returns its unquoted etag. */
  upload(blobPath: string, content: string | Uint8Array): Promise<string>;
  /** The run id docs/contracts.md ("Run id") gives this dataset version with these requested overrides. */
  runIdOf(blobPath: string, etag: string, overrides?: Record<string, unknown>): string;
  /** Polls GET /api/runs/{id} until the run ended. */
  waitForEnd(runId: string, timeoutMs: number): Promise<RunView>;
  /** ARM GET of an Azure ML resource under the workspace (e.g. `jobs/<name>`). */
  arm(suffix: string): Promise<Answer>;
  /** GET /_emulator/state. */
  emulatorState(): Promise<{
    jobs: { name: string; status: string }[];
    models: { name: string; version: string }[];
    endpoints: { name: string }[];
  }>;
  admin(method: string, route: string, body?: unknown): Promise<Answer>;
  /** Polls the logs until a line matches. */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Secrets that must never appear in an answer or a log line. */
  secrets(): string[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function startScenarioStack(
  options: Pick<StackOptions, 'settings' | 'emulatorConfig'> = {},
): Promise<ScenarioStack> {
  const hostCli = path.join(APP_DIR, 'dist', 'dev', 'host', 'cli.js');
  if (!existsSync(hostCli)) throw new Error(`${hostCli} is missing: run 'npm run build' first`);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-scenarios-'));
  const logs: string[] = [];
  let stack: RunningStack;
  try {
    stack = await startStack({
      appDir: APP_DIR,
      stateDir,
      settings: { ...SCENARIO_SETTINGS, ...options.settings },
      emulatorConfig: { clock: SCENARIO_CLOCK, ...options.emulatorConfig },
      log: (line) => {
        logs.push(line);
        if (process.env.E2E_VERBOSE) process.stderr.write(`${line}\n`);
      },
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    stack.trainingContainer,
  );
  const secrets = (): string[] => [
    stack.functionKey,
    stack.keys.masterKey,
    ...Object.values(stack.keys.systemKeys),
  ];
  const e = stack.emulator;
  const workspaceUrl =
    `${e.baseUrl}/subscriptions/${e.subscriptionId}/resourceGroups/${e.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${e.workspace}`;

  const api: ScenarioStack['api'] = async (method, route, body) => {
    const response = await fetch(`${stack.hostUrl}${route}`, {
      method,
      headers: { 'x-functions-key': stack.functionKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    for (const secret of secrets()) {
      if (text.includes(secret)) throw new Error(`${method} ${route} answered with a key in its body`);
    }
    if (/\n\s+at .+\(.*:\d+:\d+\)/.test(text)) throw new Error(`${method} ${route} answered a stack trace`);
    return { status: response.status, text, body: parse(text) };
  };

  const ca = stack.emulatorHandle.caCert;
  const https = async (url: string, method = 'GET', body?: unknown): Promise<Answer> => {
    const result = await httpsRequest(url, {
      ca,
      method,
      headers: ARM_TOKEN,
      ...(body === undefined ? {} : { body }),
    });
    return { status: result.status, text: result.text, body: parse(result.text) };
  };

  return {
    stack,
    logs,
    container,
    api,
    async upload(blobPath, content) {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      const uploaded = await container.getBlockBlobClient(blobPath).upload(bytes, bytes.byteLength);
      return unquoteEtag(uploaded.etag ?? '');
    },
    runIdOf(blobPath, etag, overrides = {}) {
      return computeRunId({ container: stack.trainingContainer, path: blobPath, etag, overrides }).runId;
    },
    async waitForEnd(runId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      while (Date.now() < deadline) {
        const answer = await api('GET', `/api/runs/${runId}`);
        if (answer.status === 200) {
          const view = answer.body as RunView;
          last = `${view.status} at ${view.step}`;
          if (TERMINAL.has(view.status)) return view;
        } else if (answer.status === 404) {
          last = 'the run does not exist (404)';
        } else {
          throw new Error(`GET /api/runs/${runId} answered ${answer.status}: ${answer.text}`);
        }
        await sleep(500);
      }
      throw new Error(`run ${runId} did not end within ${timeoutMs} ms; last seen: ${last}`);
    },
    arm: (suffix) => https(`${workspaceUrl}/${suffix}?api-version=2022-10-01`),
    async emulatorState() {
      const answer = await https(`${e.adminUrl}state`);
      if (answer.status !== 200) throw new Error(`emulator state answered ${answer.status}: ${answer.text}`);
      return answer.body as Awaited<ReturnType<ScenarioStack['emulatorState']>>;
    },
    admin: (method, route, body) => https(`${e.adminUrl}${route}`, method, body),
    async waitForLog(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const line = logs.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        await sleep(200);
      }
      throw new Error(`no log line matched ${String(pattern)} within ${timeoutMs} ms`);
    },
    secrets,
    async close() {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
