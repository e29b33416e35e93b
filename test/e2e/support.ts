// What the end-to-end tests share: one real local stack per test file (Azurite in memory, the Azure
// ML emulator, the compiled Functions host in a child process, the storage-events publisher), and
// small clients over real HTTP(S): the app's HTTP API with fetch, the training container with
// @azure/storage-blob, ARM with @azure/arm-machinelearning trusting the emulator's CA, and the
// emulator's admin API. Waiting is always a poll with a deadline that names what it waited for.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterEach } from 'vitest';
import { httpsRequest } from '../../dev/httpsClient.js';
import { startStack, type RunningStack, type StackOptions } from '../../dev/stack.js';
import { computeRunId, unquoteEtag } from '../../src/domain/runId.js';
import type { RunStatus, RunView } from '../../src/domain/runView.js';

const TEST_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The app folder: from test/e2e (vitest runs the source) or dist/test/e2e (compiled: npm run chaos). */
export const APP_DIR = path.basename(TEST_ROOT) === 'dist' ? path.dirname(TEST_ROOT) : TEST_ROOT;

/** Fast simulated Azure ML: a pipeline job takes 5 s, an endpoint/deployment operation 1 s. */
export const E2E_CLOCK = { jobSeconds: 5, lroSeconds: 1 };

/** Short app timings (the run's own waits); teardown settings are chosen per file. */
export const E2E_SETTINGS = {
  JOB_POLL_INTERVAL_SECONDS: '3',
  JOB_DEADLINE_SECONDS: '300',
} as const;

/** Teardown effectively off: dry run, hourly. For files whose endpoints must stay put. */
export const TEARDOWN_OFF = {
  TEARDOWN_SCHEDULE: '0 0 * * * *',
  TEARDOWN_DRY_RUN: 'true',
} as const;

export const TERMINAL_STATUSES: readonly RunStatus[] = [
  'Succeeded',
  'NotDeployed',
  'RolledBack',
  'Failed',
  'Canceled',
];

// The emulator accepts any bearer token; these clients never leave 127.0.0.1.
const LOCAL_TOKEN = 'e2e-local-token';
const staticCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: LOCAL_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined when it is not JSON); each test asserts the shape it reads. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the wire, checked by the assertions
  body: any;
}

export interface EmulatorJob {
  name: string;
  status: string;
  tags: Record<string, string>;
}

export interface EmulatorEndpoint {
  name: string;
  provisioningState: string;
  tags: Record<string, string>;
}

export interface EmulatorState {
  jobs: EmulatorJob[];
  models: { name: string; version: string }[];
  endpoints: EmulatorEndpoint[];
  deployments: { endpoint: string; name: string; provisioningState: string }[];
  subscriptions: { name: string; delivered: number; dropped: number }[];
  faults: unknown[];
}

export interface E2eStack {
  readonly stack: RunningStack;
  /** The stack's state folder (keys, durable history, receipts; Azurite and emulator data when persistent). */
  readonly stateDir: string;
  /** Every log line of the stack so far (host, emulator, storage events), keys masked. */
  readonly logs: string[];
  readonly container: ContainerClient;
  readonly arm: AzureMachineLearningWorkspaces;
  readonly rg: string;
  readonly ws: string;
  /** The app's HTTP API; `key: null` sends no key. Every answer is checked for leaks. */
  api(method: string, route: string, options?: { body?: unknown; key?: string | null }): Promise<ApiResponse>;
  /** GET /api/runs/{id}: the view, or undefined while the run does not exist. */
  run(runId: string): Promise<RunView | undefined>;
  /** Uploads a dataset blob and returns the run id its BlobCreated event starts. */
  upload(blobPath: string, content: string): Promise<{ runId: string; etag: string }>;
  readBlob(blobPath: string): Promise<string | undefined>;
  emulatorState(): Promise<EmulatorState>;
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/**
 * Starts the stack for one test file (call in beforeAll; `close` in afterAll). Uses the compiled
 * host in dist/: `npm test` builds first; when iterating, run `npm run build` after app changes.
 */
export async function startE2eStack(
  options: Pick<StackOptions, 'settings' | 'storageEvents' | 'emulatorConfig' | 'persistent'> = {},
): Promise<E2eStack> {
  const hostCli = path.join(APP_DIR, 'dist', 'dev', 'host', 'cli.js');
  if (!existsSync(hostCli)) {
    throw new Error(`${hostCli} is missing: run 'npm run build' before the end-to-end tests`);
  }
  const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-e2e-'));
  const logs: string[] = [];
  let stack: RunningStack;
  try {
    stack = await startStack({
      appDir: APP_DIR,
      stateDir,
      settings: { ...E2E_SETTINGS, ...options.settings },
      emulatorConfig: { clock: E2E_CLOCK, ...options.emulatorConfig },
      ...(options.storageEvents === undefined ? {} : { storageEvents: options.storageEvents }),
      ...(options.persistent === undefined ? {} : { persistent: options.persistent }),
      log: (line) => {
        logs.push(line);
        if (process.env.E2E_VERBOSE) process.stderr.write(`${line}\n`);
      },
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const e = stack.emulator;
  const ca = stack.emulatorHandle.caCert;
  const secrets = [stack.keys.masterKey, ...Object.values(stack.keys.systemKeys)];
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    stack.trainingContainer,
  );
  const arm = new AzureMachineLearningWorkspaces(staticCredential, e.subscriptionId, {
    endpoint: e.baseUrl,
    tlsOptions: { ca },
    // each answer is asserted: no silent retries
    retryOptions: { maxRetries: 0 },
  });

  const api: E2eStack['api'] = async (method, route, options = {}) => {
    const key = options.key === undefined ? stack.functionKey : options.key;
    const response = await fetch(`${stack.hostUrl}${route}`, {
      method,
      headers: {
        ...(key === null ? {} : { 'x-functions-key': key }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    const text = await response.text();
    assertNoLeak(`${method} ${route}`, text, [...response.headers.values()].join('\n'), secrets);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  };

  const admin: E2eStack['admin'] = (method, route, body) =>
    httpsRequest(`${e.adminUrl}${route}`, { ca, method, ...(body === undefined ? {} : { body }) });

  return {
    stack,
    stateDir,
    logs,
    container,
    arm,
    rg: e.resourceGroup,
    ws: e.workspace,
    api,
    async run(runId) {
      const response = await api('GET', `/api/runs/${runId}`);
      if (response.status === 404) return undefined;
      if (response.status !== 200) {
        throw new Error(`GET /api/runs/${runId} answered ${response.status}: ${response.text}`);
      }
      return response.body as RunView;
    },
    async upload(blobPath, content) {
      const uploaded = await container
        .getBlockBlobClient(blobPath)
        .upload(content, Buffer.byteLength(content), {
          blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
        });
      const etag = unquoteEtag(uploaded.etag ?? '');
      const { runId } = computeRunId({
        container: stack.trainingContainer,
        path: blobPath,
        etag,
        overrides: {},
      });
      return { runId, etag };
    },
    async readBlob(blobPath) {
      const blob = container.getBlobClient(blobPath);
      if (!(await blob.exists())) return undefined;
      return (await blob.downloadToBuffer()).toString('utf8');
    },
    async emulatorState() {
      const response = await admin('GET', 'state');
      if (response.status !== 200)
        throw new Error(`emulator state answered ${response.status}: ${response.text}`);
      return JSON.parse(response.text) as EmulatorState;
    },
    admin,
    async close() {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

/** docs/contracts.md "HTTP API": never a stack trace, never a durable system-key URL, never a host secret. */
function assertNoLeak(request: string, body: string, headers: string, secrets: readonly string[]): void {
  for (const text of [body, headers]) {
    if (STACK_TRACE.test(text)) throw new Error(`${request}: the response carries a stack trace: ${text}`);
    if (text.includes('/runtime/webhooks/durabletask')) {
      throw new Error(`${request}: the response carries a durable management URL: ${text}`);
    }
    if (secrets.some((secret) => text.includes(secret))) {
      throw new Error(`${request}: the response carries a host master or system key`);
    }
  }
}

/**
 * Polls `probe` until it returns a value (not undefined), failing after `timeoutMs` with a message
 * that names what was awaited and the last thing seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started >= options.timeoutMs) {
      const last = options.lastSeen?.();
      throw new Error(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${last ? `; last seen: ${last}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/** One line per step: what a failed wait shows. */
export function summarize(view: RunView | undefined): string {
  if (view === undefined) return 'no such run yet (404)';
  const steps = view.steps
    .filter((s) => s.status !== 'pending')
    .map((s) => `${s.id}=${s.status}`)
    .join(', ');
  const error = view.error ? ` error ${view.error.step}: ${view.error.code}: ${view.error.message}` : '';
  return `${view.status} at ${view.step} [${steps}]${error}`;
}

/** Waits until the run's view satisfies `done`, named `what` in a timeout message. */
export async function waitForRun(
  e2e: E2eStack,
  runId: string,
  what: string,
  done: (view: RunView) => boolean,
  timeoutMs: number,
): Promise<RunView> {
  let last: RunView | undefined;
  return waitFor(
    `run ${runId} ${what}`,
    async () => {
      last = await e2e.run(runId);
      return last !== undefined && done(last) ? last : undefined;
    },
    { timeoutMs, lastSeen: () => summarize(last) },
  );
}

export const waitForEnd = (e2e: E2eStack, runId: string, timeoutMs: number): Promise<RunView> =>
  waitForRun(e2e, runId, 'to end', (view) => TERMINAL_STATUSES.includes(view.status), timeoutMs);

export const stepStatus = (view: RunView, step: string): string | undefined =>
  view.steps.find((s) => s.id === step)?.status;

/** The emulator's jobs tagged with this run id. */
export async function jobsOfRun(e2e: E2eStack, runId: string): Promise<EmulatorJob[]> {
  return (await e2e.emulatorState()).jobs.filter((job) => job.tags['autopilot-run-id'] === runId);
}

/** After a failed test, print the tail of the stack's logs (the host's and emulator's view of it). */
export function dumpLogsOnFailure(e2e: () => E2eStack | undefined, lines = 80): void {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    const logs = e2e()?.logs ?? [];
    process.stderr.write(`--- last ${lines} stack log lines ---\n${logs.slice(-lines).join('\n')}\n---\n`);
  });
}

/** A bearer-token HTTPS call to a scoring URI on the emulator. */
export async function score(
  e2e: E2eStack,
  scoringUri: string,
  key: string,
  question: string,
): Promise<{ status: number; text: string }> {
  return httpsRequest(scoringUri, {
    ca: e2e.stack.emulatorHandle.caCert,
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: {
      input_data: { input_string: [{ role: 'user', content: question }], parameters: { max_new_tokens: 50 } },
    },
  });
}
