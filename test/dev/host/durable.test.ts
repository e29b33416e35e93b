import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../../dev/host/index.js';
import { startHost } from '../../../dev/host/index.js';
import { fixtureApp, sideEffects, tempDir, waitFor } from './fixture.js';

let host: RunningHost;
const logs: string[] = [];
const effects = tempDir('host-durable-effects');

interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

beforeAll(async () => {
  host = await startHost({
    appDir: fixtureApp,
    stateDir: tempDir('host-durable-state'),
    settings: { SIDE_EFFECT_DIR: effects },
    activityConcurrency: 2,
    // Small pages, so listing through the client follows continuation tokens.
    durableListPageSize: 2,
    log: (line) => logs.push(line),
  });
});
afterAll(async () => {
  await host?.stop();
});

const keyed = { 'x-functions-key': '' };
function headers(): Record<string, string> {
  keyed['x-functions-key'] = host.functionKey;
  return keyed;
}

async function start(name: string, input: unknown, id?: string): Promise<Response> {
  return fetch(`${host.url}/api/start/${name}${id ? `/${id}` : ''}`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify(input),
  });
}

async function op(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${host.url}/api/ops`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
}

async function status(id: string): Promise<Status> {
  const res = await op({ op: 'status', id });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

async function until(id: string, predicate: (s: Status) => boolean, what: string): Promise<Status> {
  return waitFor(what, async () => {
    const s = await status(id);
    return predicate(s) ? s : undefined;
  });
}

describe('orchestrations through the real DurableClient', () => {
  it('starts with createCheckStatusResponse links that work with the system key', async () => {
    const res = await start('workflow', { key: 'links' }, 'links-1');
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(body.id).toBe('links-1');
    expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
    const statusRes = await fetch(body.statusQueryGetUri ?? '');
    expect([200, 202]).toContain(statusRes.status);
    expect(((await statusRes.json()) as Status).instanceId).toBe('links-1');
    const noKey = (body.statusQueryGetUri ?? '').replace(/code=[^&]+/, 'code=wrong');
    expect((await fetch(noKey)).status).toBe(401);
    await op({ op: 'terminate', id: 'links-1', reason: 'done with it' });
  });

  it('runs activities, a retry that succeeds on the 2nd attempt, a durable timer and an external event', async () => {
    const id = 'wf-1';
    expect((await start('workflow', { key: id }, id)).status).toBe(202);
    const waiting = await until(
      id,
      (s) => (s.customStatus as { step?: string } | null)?.step === 'waiting',
      'waiting',
    );
    expect(waiting.runtimeStatus).toBe('Running');
    expect(waiting.input).toEqual({ key: id });
    expect(waiting.name).toBe('workflow');
    expect(waiting.output).toBeNull();

    expect((await op({ op: 'raise', id, event: 'Approve', data: { by: 'lead' } })).status).toBe(202);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toEqual({ a: 1, b: 'ok after 2', approval: { by: 'lead' } });
    expect(done.customStatus).toEqual({ step: 'done' });
    expect(sideEffects(effects, id)).toEqual(['a']);
    expect(sideEffects(effects, `${id}-flaky`)).toEqual(['attempt', 'attempt']);
    expect(new Date(done.lastUpdatedTime).getTime()).toBeGreaterThanOrEqual(
      new Date(done.createdTime).getTime(),
    );
  });

  it('buffers an external event raised before the orchestration waits for it', async () => {
    const id = 'wf-early';
    await start('workflow', { key: id }, id);
    expect((await op({ op: 'raise', id, event: 'Approve', data: 'early' })).status).toBe(202);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect((done.output as { approval: unknown }).approval).toBe('early');
  });

  it('Task.any([timer, event]): the event wins when it comes first (durable-js #577)', async () => {
    const id = 'race-event';
    await start('race', { timeoutMs: 2500 }, id);
    await until(id, (s) => s.runtimeStatus === 'Running', 'running');
    await op({ op: 'raise', id, event: 'Go', data: 42 });
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toEqual({ winner: 'event', value: 42, after: 1 });
    // The losing timer fires later: the completed instance must stay as it is.
    await new Promise((r) => setTimeout(r, 2700));
    const later = await status(id);
    expect(later.runtimeStatus).toBe('Completed');
    expect(later.output).toEqual(done.output);
    expect(sideEffects(effects, id)).toEqual(['after-event']);
  });

  it('Task.any([timer, event]): the timer wins when no event comes, and a late event changes nothing', async () => {
    const id = 'race-timer';
    await start('race', { timeoutMs: 200 }, id);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toEqual({ winner: 'timer', after: 1 });
    const late = await fetch(
      `${host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/Go?code=${encodeURIComponent(host.systemKeys.durabletask_extension)}`,
      { method: 'POST', body: '1', headers: { 'content-type': 'application/json' } },
    );
    expect(late.status).toBe(410);
    expect((await status(id)).output).toEqual({ winner: 'timer', after: 1 });
    expect(sideEffects(effects, id)).toEqual(['after-timer']);
  });

  it('Task.any([event, timer]) in a loop: losing timers firing mid-run change nothing', async () => {
    const id = 'poll-1';
    await start('pollLoop', { rounds: 3, timeoutMs: 1500 }, id);
    await until(id, (s) => s.runtimeStatus === 'Running', 'running');
    await op({ op: 'raise', id, event: 'Tick', data: 1 });
    await until(id, (s) => (s.customStatus as { round?: number } | null)?.round === 1, 'round 1');
    // Round 2 times out (and round 1's losing timer fires meanwhile); round 3 gets an event.
    await until(id, (s) => (s.customStatus as { round?: number } | null)?.round === 2, 'round 2');
    await op({ op: 'raise', id, event: 'Tick', data: 3 });
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toEqual(['event:1', 'timer', 'event:3']);
  });

  it('fans out activities and fans in their results', async () => {
    const id = 'fan-1';
    await start('fanOut', { key: id, n: 5 }, id);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toBe(5);
    expect(sideEffects(effects, id).sort()).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4']);
  });

  it('runs at most activityConcurrency activities at once', async () => {
    await start('gaugeFanOut', null, 'gauge-1');
    const done = await until('gauge-1', (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toBe(2);
  });

  it('continues as new with the new input until the orchestrator returns', async () => {
    await start('counter', 0, 'counter-1');
    const done = await until('counter-1', (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toBe('counted to 3');
    expect(done.input).toBe(3);
    expect(sideEffects(effects, 'counter-1')).toEqual([
      'generation-0',
      'generation-1',
      'generation-2',
      'generation-3',
    ]);
  });

  it('fails the instance with the activity error when the orchestrator lets it through', async () => {
    const id = 'fail-1';
    await start('failing', null, id);
    const done = await until(id, (s) => s.runtimeStatus === 'Failed', 'failure');
    expect(done.customStatus).toEqual({ caught: 'Error: this activity always fails' });
    expect(done.output).toBe("Orchestrator function 'failing' failed: Error: this activity always fails");
  });

  it('refuses a duplicate instance id while the first is running (409), and allows it once terminal', async () => {
    const id = 'dup-1';
    expect((await start('waitForever', null, id)).status).toBe(202);
    const again = await start('waitForever', null, id);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'exists' });
    expect((await op({ op: 'terminate', id, reason: 'test over' })).status).toBe(202);
    const terminated = await until(id, (s) => s.runtimeStatus === 'Terminated', 'terminated');
    expect(terminated.output).toBe('test over');
    expect((await start('waitForever', null, id)).status).toBe(202);
    await op({ op: 'terminate', id, reason: 'again' });
  });

  it('drops results of a terminated execution when its instance id is started again', async () => {
    const id = 'reuse-1';
    await start('slowFlow', { key: 'reuse-a', ms: 300 }, id);
    await waitFor('the first slow activity', () =>
      sideEffects(effects, 'reuse-a-slow').length > 0 ? true : undefined,
    );
    await op({ op: 'terminate', id, reason: 'restart it' });
    await until(id, (s) => s.runtimeStatus === 'Terminated', 'terminated');
    expect((await start('slowFlow', { key: 'reuse-b', ms: 900 }, id)).status).toBe(202);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    // Had the first execution's late result leaked in, the run would finish before its own activity.
    expect(sideEffects(effects, 'reuse-b-slow')).toEqual(['start', 'end']);
    expect(done.output).toEqual({ before: 1, slow: 2, after: 2 });
  });

  it('suspends (events buffer, nothing runs) and resumes through the client', async () => {
    const id = 'susp-1';
    await start('workflow', { key: id }, id);
    await until(id, (s) => (s.customStatus as { step?: string } | null)?.step === 'waiting', 'waiting');
    expect((await op({ op: 'suspend', id, reason: 'hold' })).status).toBe(202);
    expect((await status(id)).runtimeStatus).toBe('Suspended');
    await op({ op: 'raise', id, event: 'Approve', data: 'while suspended' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await status(id)).runtimeStatus).toBe('Suspended');
    expect((await op({ op: 'resume', id, reason: 'go' })).status).toBe(202);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect((done.output as { approval: unknown }).approval).toBe('while suspended');
  });

  it('runs sub-orchestrations: output to the parent, failures as catchable errors', async () => {
    const id = 'parent-1';
    await start('parent', null, id);
    const done = await until(id, (s) => s.runtimeStatus === 'Completed', 'completion');
    expect(done.output).toEqual({
      first: { n: 1, parent: id },
      caught: expect.stringContaining('child parent-1-failing-child was told to fail') as unknown,
    });
    expect((await status('parent-1:0')).runtimeStatus).toBe('Completed');
    expect((await status('parent-1-failing-child')).runtimeStatus).toBe('Failed');
    expect(sideEffects(effects, id)).toEqual(['child-parent-1:0', 'child-parent-1-failing-child']);
  });

  it('answers 400 for an unknown orchestrator', async () => {
    const res = await fetch(
      `${host.url}/runtime/webhooks/durabletask/orchestrators/nope?code=${encodeURIComponent(host.systemKeys.durabletask_extension)}`,
      { method: 'POST', body: '' },
    );
    expect(res.status).toBe(400);
  });

  it('lists instances by status through the client, and pages with top + continuation token', async () => {
    for (const i of [1, 2, 3]) await start('waitForever', null, `page-${i}`);
    const listRes = await op({ op: 'list', runtimeStatus: ['Running', 'Pending'] });
    const listed = ((await listRes.json()) as Status[]).map((s) => s.instanceId);
    expect(listed).toEqual(expect.arrayContaining(['page-1', 'page-2', 'page-3']));
    expect(listed).not.toContain('wf-1');

    const base = `${host.url}/runtime/webhooks/durabletask/instances?code=${encodeURIComponent(host.systemKeys.durabletask_extension)}&runtimeStatus=Running,Pending&top=2`;
    const first = await fetch(base);
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBeTruthy();
    const firstPage = (await first.json()) as Status[];
    expect(firstPage).toHaveLength(2);
    const second = await fetch(base, { headers: { 'x-ms-continuation-token': token ?? '' } });
    const secondPage = (await second.json()) as Status[];
    expect(second.headers.get('x-ms-continuation-token')).toBeNull();
    expect([...firstPage, ...secondPage].map((s) => s.instanceId).sort()).toEqual(listed.sort());

    const all = (await (await op({ op: 'listAll' })).json()) as Status[];
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all.map((s) => s.instanceId)).size).toBe(all.length);
    expect(all.map((s) => s.instanceId)).toEqual(expect.arrayContaining(['wf-1', 'page-1', 'fan-1']));
    for (const i of [1, 2, 3]) await op({ op: 'terminate', id: `page-${i}`, reason: 'cleanup' });
  });

  it('purges an instance history', async () => {
    const purged = await op({ op: 'purge', id: 'fan-1' });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    const gone = await op({ op: 'status', id: 'fan-1' });
    expect(gone.status).toBe(500);
    const again = await op({ op: 'purge', id: 'fan-1' });
    expect(await again.json()).toEqual({ instancesDeleted: 0 });
  });

  it('raising an event on an unknown instance fails through the client', async () => {
    expect((await op({ op: 'raise', id: 'missing', event: 'Go', data: 1 })).status).toBe(500);
  });

  it('keeps the system key out of the logs', () => {
    const all = logs.join('\n');
    expect(all).toContain('orchestration workflow wf-1 Completed');
    expect(all.includes(host.systemKeys.durabletask_extension)).toBe(false);
  });
});
