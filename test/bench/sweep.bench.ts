// `npm run bench -- --sweep [--endpoints N]` (or `node dist/test/bench/sweep.bench.js`): the idle-endpoint sweep as production runs it, on the
// local stack (dev/stack.ts): the timer function (functions/idleEndpointTeardown.ts -> the
// composition root -> src/runs/teardown.ts) in the local host, against the Azure ML emulator's ARM
// and Monitor, with the production retry policy. N owned endpoints (default 1,000), each with a
// deployment taking 100% of its traffic, are created through ARM with the ownership tag of
// src/names.ts; the emulator reports every minute of their life as 0 requests. Two sweeps, each
// one timer invocation timed by the host's own log line:
//   - failing Monitor: every Metrics_List answers 503 (emulator fault injection): everything is
//     kept, the circuit breaker says so; target < 30 s;
//   - idle: every endpoint idle; the deletions begun (endpoints left Deleting: the emulator's
//     long-running operations are made to last an hour) must be exactly TEARDOWN_MAX_DELETIONS;
//     target < 10 s.
// Prints the figures with the core count; exits 1 when a target or a count is missed.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpsRequest } from '../../dev/httpsClient.js';
import { startStack, type RunningStack } from '../../dev/stack.js';
import { OWNER_TAG_VALUE, Tag } from '../../src/names.js';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const count = Number(/--endpoints[= ](\d+)/.exec(process.argv.join(' '))?.[1] ?? 1000);
const MAX_DELETIONS = 5;
const IDLE_TARGET_S = 10;
const FAILING_TARGET_S = 30;
// The window Monitor must report in full ends TEARDOWN_METRICS_DELAY_SECONDS before the sweep and
// lasts IDLE_WINDOW_SECONDS; the emulator reports 0 only for minutes of an endpoint's life, so the
// endpoints must be a little over two minutes old (see waitUntilIdleEvidence).
const IDLE_WINDOW_SECONDS = 60;
const METRICS_DELAY_SECONDS = 60;
const SEED_CONCURRENCY = 8;
const SWEEP_LINE = /idleEndpointTeardown \[[^\]]+\] (Succeeded|Failed) in (\d+)ms/;
const BREAKER_LINE = /Azure Monitor failed \d+ times in a row; (\d+) endpoint\(s\) kept/;
const SUMMARY_LINE = /(\d+) owned endpoint\(s\): (\d+) deleted, \d+ would delete \(dry run\), (\d+) kept/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

interface Sweep {
  seconds: number;
  outcome: string;
  lines: string[];
}

class SweepBench {
  private readonly logs: string[] = [];
  private stack!: RunningStack;
  private readonly stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-sweep-bench-'));

  async start(): Promise<void> {
    this.stack = await startStack({
      appDir: APP_DIR,
      stateDir: this.stateDir,
      settings: {
        // no sweep until a case asks for one (each case restarts the host with a schedule)
        TEARDOWN_SCHEDULE: '0 0 0 1 1 *',
        TEARDOWN_DRY_RUN: 'false',
        TEARDOWN_MAX_DELETIONS: String(MAX_DELETIONS),
        IDLE_WINDOW_SECONDS: String(IDLE_WINDOW_SECONDS),
        IDLE_GRACE_SECONDS: '0',
        TEARDOWN_METRICS_DELAY_SECONDS: String(METRICS_DELAY_SECONDS),
      },
      emulatorConfig: { clock: { jobSeconds: 600, lroSeconds: 0 } },
      log: (line) => this.logs.push(line),
    });
  }

  private arm(method: string, suffix: string, body?: unknown) {
    const e = this.stack.emulator;
    const url =
      `${e.baseUrl}/subscriptions/${e.subscriptionId}/resourceGroups/${e.resourceGroup}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${e.workspace}/${suffix}?api-version=2022-10-01`;
    return this.checked(`${method} ${suffix}`, url, method, body, { authorization: 'Bearer sweep-bench' });
  }

  admin(method: string, route: string, body?: unknown) {
    return this.checked(`${method} admin ${route}`, `${this.stack.emulator.adminUrl}${route}`, method, body);
  }

  private async checked(what: string, url: string, method: string, body?: unknown, headers = {}) {
    const answer = await httpsRequest(url, {
      ca: this.stack.emulatorHandle.caCert,
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return JSON.parse(answer.text === '' ? 'null' : answer.text) as unknown;
  }

  /** N owned endpoints, each serving one deployment at 100% (what an idle run's endpoint looks like). */
  async seed(): Promise<number> {
    const location = this.stack.emulator.location;
    await this.arm('PUT', 'models/bench-model/versions/1', {
      properties: {
        modelUri: 'azureml://datastores/workspaceblobstore/paths/bench/model',
        modelType: 'mlflow_model',
      },
    });
    const model = `azureml:bench-model:1`;
    const names = Array.from({ length: count }, (_, i) => `bench-ep-${String(i).padStart(4, '0')}`);
    const endpoint = (name: string, traffic: Record<string, number>) => ({
      location,
      tags: { [Tag.owner]: OWNER_TAG_VALUE, [Tag.runId]: `ft-bench-${name}` },
      identity: { type: 'SystemAssigned' },
      properties: { authMode: 'Key', traffic },
    });
    const state = async (name: string) => {
      for (;;) {
        const ep = (await this.arm('GET', `onlineEndpoints/${name}`)) as {
          properties: { provisioningState: string };
        };
        if (ep.properties.provisioningState === 'Succeeded') return;
        await sleep(20);
      }
    };
    let lastCreatedAt = 0;
    await forEachBounded(names, SEED_CONCURRENCY, async (name) => {
      await this.arm('PUT', `onlineEndpoints/${name}`, endpoint(name, {}));
      lastCreatedAt = Math.max(lastCreatedAt, Date.now());
      await state(name);
      await this.arm('PUT', `onlineEndpoints/${name}/deployments/demo`, {
        location,
        sku: { name: 'Default', capacity: 1 },
        properties: { endpointComputeType: 'Managed', model, instanceType: 'Standard_NC24ads_A100_v4' },
      });
      for (;;) {
        const d = (await this.arm('GET', `onlineEndpoints/${name}/deployments/demo`)) as {
          properties: { provisioningState: string };
        };
        if (d.properties.provisioningState === 'Succeeded') break;
        await sleep(20);
      }
      await this.arm('PUT', `onlineEndpoints/${name}`, endpoint(name, { demo: 100 }));
      await state(name);
    });
    return lastCreatedAt;
  }

  /** Restarts the host with a schedule that fires once, a few seconds from now, and times that sweep. */
  async sweep(): Promise<Sweep> {
    await this.stack.killHost();
    const at = new Date(Math.ceil((Date.now() + 12_000) / 1000) * 1000);
    const schedule = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    await this.stack.startHost({ TEARDOWN_SCHEDULE: schedule });
    if (Date.now() >= at.getTime())
      throw new Error('the host took longer than 12 s to start; the sweep was missed');
    const from = this.logs.length;
    for (;;) {
      const lines = this.logs.slice(from);
      const done = lines.map((l) => SWEEP_LINE.exec(l)).find((m) => m !== null);
      if (done) return { seconds: Number(done[2]) / 1000, outcome: done[1] ?? '', lines };
      if (Date.now() > at.getTime() + 120_000) throw new Error('no sweep ended within 120 s of its schedule');
      await sleep(50);
    }
  }

  async endpointsDeleting(): Promise<number> {
    const state = (await this.admin('GET', 'state')) as { endpoints: { provisioningState: string }[] };
    return state.endpoints.filter((e) => e.provisioningState === 'Deleting').length;
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** Waits until the full window of every endpoint falls inside its life (so every minute is 0). */
async function waitUntilIdleEvidence(lastCreatedAt: number): Promise<void> {
  const minuteOfLast = Math.floor(lastCreatedAt / 60_000) * 60_000;
  const ready = minuteOfLast + (IDLE_WINDOW_SECONDS + METRICS_DELAY_SECONDS) * 1000 + 1_000;
  const wait = ready - (Date.now() + 12_000); // the sweep fires 12 s after its host restart
  if (wait > 0) {
    console.log(`waiting ${Math.round(wait / 1000)} s for the endpoints' idle window to be in their life`);
    await sleep(wait);
  }
}

const misses: string[] = [];
const bench = new SweepBench();
try {
  const seedStarted = Date.now();
  await bench.start();
  const lastCreatedAt = await bench.seed();
  console.log(
    `sweep bench: ${count} owned endpoint(s) with a deployment each created through ARM in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s; ${availableParallelism()} core(s)`,
  );
  // The emulator's long-running operations now last an hour: a begun deletion stays Deleting.
  await bench.admin('PUT', 'clock', { lroSeconds: 3600 });

  await bench.admin('POST', 'faults', { operation: 'Metrics_List', status: 503, count: 1_000_000 });
  const failing = await bench.sweep();
  await bench.admin('DELETE', 'faults');
  const breaker = failing.lines.map((l) => BREAKER_LINE.exec(l)).find((m) => m !== null);
  const failingSummary = failing.lines.map((l) => SUMMARY_LINE.exec(l)).find((m) => m !== null);
  const deletingAfterFailing = await bench.endpointsDeleting();
  console.log(
    `failing Monitor: ${failing.outcome} in ${failing.seconds.toFixed(2)} s (target < ${FAILING_TARGET_S} s); ` +
      `kept ${failingSummary?.[3] ?? '?'}, deletions begun ${deletingAfterFailing}; circuit breaker: ${breaker ? `"${breaker[0]}"` : 'NOT SAID'}`,
  );
  if (failing.outcome !== 'Succeeded' || failing.seconds >= FAILING_TARGET_S)
    misses.push('failing Monitor time');
  if (breaker === undefined) misses.push('the circuit breaker was not said');
  if (deletingAfterFailing !== 0 || failingSummary?.[3] !== String(count))
    misses.push('failing Monitor kept not everything');

  await waitUntilIdleEvidence(lastCreatedAt);
  const idle = await bench.sweep();
  const idleSummary = idle.lines.map((l) => SUMMARY_LINE.exec(l)).find((m) => m !== null);
  const deleting = await bench.endpointsDeleting();
  console.log(
    `idle endpoints : ${idle.outcome} in ${idle.seconds.toFixed(2)} s (target < ${IDLE_TARGET_S} s); ` +
      `deletions begun ${deleting} (TEARDOWN_MAX_DELETIONS ${MAX_DELETIONS}), the sweep says ${idleSummary?.[2] ?? '?'} deleted, ${idleSummary?.[3] ?? '?'} kept`,
  );
  if (idle.outcome !== 'Succeeded' || idle.seconds >= IDLE_TARGET_S) misses.push('idle sweep time');
  if (deleting !== MAX_DELETIONS) misses.push(`idle sweep began ${deleting} deletions, not ${MAX_DELETIONS}`);
} finally {
  await bench.stop();
}
if (misses.length > 0) {
  console.log(`sweep bench MISSED: ${misses.join('; ')}`);
  process.exitCode = 1;
}
