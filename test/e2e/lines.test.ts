// Serving lines end to end on the real local stack (docs/lines.md): v1 of a line deploys and
// serves; v2 rolls out on the same endpoint (same scoring URI) and the old deployment goes; a v3
// whose deployment fails rolls back with v2 still answering; park keeps the endpoint with no
// deployment; a wake brings the champion back and it answers; two uploads to one line at once
// give one rollout at a time. The cases build on each other in order (one line's life), so they
// share the stack and run in sequence.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import type { LineView } from '../../src/domain/line.js';
import type { RunView } from '../../src/domain/runView.js';
import {
  dumpLogsOnFailure,
  score,
  startE2eStack,
  stepStatus,
  TEARDOWN_OFF,
  waitFor,
  waitForEnd,
  type E2eStack,
} from './support.js';

const RUN_TIMEOUT_MS = 90_000;
const LINE = 'e2e-support-bot';
const DATASET = `incoming/${LINE}/train.jsonl`;

let e2e: E2eStack;
dumpLogsOnFailure(() => e2e);

beforeAll(async () => {
  e2e = await startE2eStack({
    settings: { ...TEARDOWN_OFF, ROLLOUT_DRAIN_SECONDS: '1', ROLLOUT_BAKE_SECONDS: '1' },
  });
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

async function line(): Promise<LineView> {
  const response = await e2e.api('GET', `/api/lines/${LINE}`);
  if (response.status !== 200)
    throw new Error(`GET /api/lines/${LINE} answered ${response.status}: ${response.text}`);
  return response.body as LineView;
}

async function keyOf(endpointName: string): Promise<string> {
  const keys = await e2e.arm.onlineEndpoints.listKeys(e2e.rg, e2e.ws, endpointName);
  return keys.primaryKey ?? '';
}

/** One scoring call without a deployment header: what the line's callers see. */
async function ask(view: LineView, question: string): Promise<{ status: number; text: string }> {
  return score(e2e, view.endpoint.scoringUri ?? '', await keyOf(view.endpoint.name), question);
}

async function deploymentsOf(endpointName: string): Promise<string[]> {
  return (await e2e.emulatorState()).deployments
    .filter((d) => d.endpoint === endpointName)
    .map((d) => d.name)
    .sort();
}

async function release(rows: number): Promise<RunView> {
  const { runId } = await e2e.upload(DATASET, demoDataset(rows));
  return waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
}

describe.sequential('one line, from its first model to a wake', () => {
  let v1: RunView;
  let v2: RunView;
  let first: LineView;

  test('v1: the line is created, its model serves all traffic and answers', async () => {
    v1 = await release(120);
    expect(v1.status).toBe('Succeeded');
    expect(v1.line).toBe(LINE);
    expect(v1.rollout?.outcome).toBe('first');
    expect(stepStatus(v1, 'smokeTest')).toBe('succeeded');
    first = await line();
    expect(first.state).toBe('serving');
    expect(first.champion?.runId).toBe(v1.runId);
    expect(first.traffic).toEqual({ [first.champion?.deployment ?? '']: 100 });
    expect(first.endpoint.name).toMatch(/^e2e-support-bot-[0-9a-f]{8}$/);
    expect(v1.endpoint).toEqual(first.endpoint);
    const answer = await ask(first, 'Hello?');
    expect(answer.status).toBe(200);
  }, 120_000);

  test('v2: rolls out on the same endpoint; the scoring URI is unchanged and the old deployment goes', async () => {
    v2 = await release(130);
    expect(v2.status).toBe('Succeeded');
    expect(v2.rollout?.outcome).toBe('rolledOut');
    const after = await line();
    expect(after.endpoint).toEqual(first.endpoint);
    expect(after.champion?.runId).toBe(v2.runId);
    expect(after.traffic[after.champion?.deployment ?? '']).toBe(100);
    // drained (ROLLOUT_DRAIN_SECONDS=1), then deleted
    const left = await waitFor(
      'the old deployment to be deleted',
      async () => {
        const names = await deploymentsOf(after.endpoint.name);
        return names.length === 1 ? names : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(left).toEqual([after.champion?.deployment]);
    expect((await ask(after, 'Still there?')).status).toBe(200);
  }, 120_000);

  test('v3 whose deployment fails: the run ends RolledBack and v2 keeps answering', async () => {
    const fault = await e2e.admin('POST', 'faults', {
      operation: 'OnlineDeployments_CreateOrUpdate',
      provisioningState: 'Failed',
      message: 'e2e: the scoring container exited with code 137 (out of memory)',
    });
    expect(fault.status).toBe(201);
    const v3 = await release(140);
    expect(v3.status).toBe('RolledBack');
    expect(v3.rollout?.outcome).toBe('rolledBack');
    expect(v3.rollout?.error?.code).toBe('DEPLOY.FAILED');
    expect(stepStatus(v3, 'register')).toBe('succeeded');
    expect(stepStatus(v3, 'deploy')).toBe('failed');
    const after = await line();
    expect(after.state).toBe('serving');
    expect(after.champion?.runId).toBe(v2.runId);
    expect(after.history.at(-1)).toMatchObject({ action: 'rolledBack', runId: v3.runId });
    const left = await waitFor(
      "the failed deployment to be deleted, only v2's left",
      async () => {
        const names = await deploymentsOf(after.endpoint.name);
        return names.length === 1 ? names : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(left).toEqual([after.champion?.deployment]);
    expect((await ask(after, 'v2, are you there?')).status).toBe(200);
  }, 120_000);

  test('park: the deployments go, the endpoint (URI and keys) stays', async () => {
    const key = await keyOf(first.endpoint.name);
    const parked = await e2e.api('POST', `/api/lines/${LINE}/park`);
    expect(parked.status).toBe(202);
    expect(parked.headers.get('location')).toBe(`/api/lines/${LINE}`);
    const view = await waitFor(
      'the line to be parked',
      async () => {
        const v = await line();
        return v.state === 'parked' ? v : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(view.parkedSince).toBeDefined();
    expect(view.traffic).toEqual({});
    expect(await deploymentsOf(first.endpoint.name)).toEqual([]);
    expect(view.endpoint).toEqual(first.endpoint);
    expect(await keyOf(first.endpoint.name)).toBe(key);
    const again = await e2e.api('POST', `/api/lines/${LINE}/park`);
    expect([again.status, again.body?.note]).toEqual([200, `line '${LINE}' is already parked`]);
  }, 60_000);

  test('wake: 202 with Retry-After; the champion comes back and answers on the same URI', async () => {
    const started = Date.now();
    const woken = await e2e.api('POST', `/api/lines/${LINE}/wake`);
    expect(woken.status).toBe(202);
    expect(Number(woken.headers.get('retry-after'))).toBeGreaterThan(0);
    const view = await line();
    const answered = await waitFor(
      'the woken line to answer',
      async () => {
        const answer = await ask(view, 'Awake?');
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    process.stdout.write(
      `wake request -> first successful score: ${((Date.now() - started) / 1000).toFixed(2)} s\n`,
    );
    expect(answered.status).toBe(200);
    const serving = await waitFor(
      'the line to be serving',
      async () => {
        const v = await line();
        return v.state === 'serving' ? v : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(serving.champion?.runId).toBe(v2.runId);
    const again = await e2e.api('POST', `/api/lines/${LINE}/wake`);
    expect([again.status, again.body?.note]).toEqual([200, `line '${LINE}' is serving; nothing to wake`]);
  }, 60_000);

  test('two uploads to the line at once: one rollout at a time, the older one superseded or rolled out first', async () => {
    const [a, b] = await Promise.all([
      e2e.upload(DATASET.replace('train.jsonl', 'train.jsonl'), demoDataset(150)),
      e2e.upload(`incoming/${LINE}.jsonl`, demoDataset(160)),
    ]);
    const [va, vb] = await Promise.all([
      waitForEnd(e2e, a.runId, RUN_TIMEOUT_MS),
      waitForEnd(e2e, b.runId, RUN_TIMEOUT_MS),
    ]);
    const outcomes = [va.rollout?.outcome, vb.rollout?.outcome];
    expect([va.status, vb.status, ...outcomes].join(' ')).toMatch(
      /^(Succeeded|NotDeployed) (Succeeded|NotDeployed) (rolledOut|superseded) (rolledOut|superseded)$/,
    );
    expect(outcomes.filter((o) => o === 'rolledOut').length).toBeGreaterThanOrEqual(1);
    const view = await line();
    expect(view.state).toBe('serving');
    // the line's history: each rollout began only after the previous one ended (one writer)
    const mine = view.history.filter((h) => h.runId === a.runId || h.runId === b.runId);
    expect(mine.map((h) => h.action).sort()).toEqual(outcomes.map((o) => o ?? '').sort());
    await waitFor(
      'one deployment left on the line',
      async () => ((await deploymentsOf(view.endpoint.name)).length === 1 ? true : undefined),
      { timeoutMs: 20_000 },
    );
  }, 150_000);

  test('GET /api/lines lists the line; an unknown line is 404 LINE.NOT_FOUND; a bad verb is 405', async () => {
    const all = await e2e.api('GET', '/api/lines');
    expect(all.status).toBe(200);
    expect((all.body.lines as LineView[]).map((l) => l.line)).toEqual([LINE]);
    const unknown = await e2e.api('GET', '/api/lines/no-such-line');
    expect([unknown.status, unknown.body?.error?.code]).toEqual([404, 'LINE.NOT_FOUND']);
    const verb = await e2e.api('PUT', `/api/lines/${LINE}`);
    expect([verb.status, verb.headers.get('allow')]).toEqual([405, 'GET, DELETE']);
  });

  test('DELETE removes the line and its endpoint', async () => {
    const deleted = await e2e.api('DELETE', `/api/lines/${LINE}`);
    expect(deleted.status).toBe(202);
    await waitFor(
      'the line to be gone',
      async () => ((await e2e.api('GET', `/api/lines/${LINE}`)).status === 404 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const endpoints = (await e2e.emulatorState()).endpoints.map((e) => e.name);
    expect(endpoints).not.toContain(first.endpoint.name);
  }, 60_000);
});
