import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostReadyLine } from '../../../dev/host/cli.js';
import { compileHost } from './compileHost.js';
import { fixtureApp, sideEffects, tempDir, waitFor } from './fixture.js';

let cli: string;
const children: ChildProcess[] = [];
const stateDir = tempDir('host-restart-state');
const effects = tempDir('host-restart-effects');

beforeAll(() => {
  cli = compileHost();
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(path.dirname(path.dirname(path.dirname(cli))), { recursive: true, force: true });
});

async function startChild(): Promise<{ child: ChildProcess; ready: HostReadyLine; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [cli, '--app', fixtureApp, '--state', stateDir, '--setting', `SIDE_EFFECT_DIR=${effects}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<HostReadyLine>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as HostReadyLine);
    });
    child.once('exit', (code) => reject(new Error(`host exited with ${code}: ${err}`)));
  });
  return { child, ready, stderr: () => err };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function call(ready: HostReadyLine, pathname: string, body: unknown): Promise<Response> {
  return fetch(`${ready.hostUrl}/api/${pathname}`, {
    method: 'POST',
    headers: { 'x-functions-key': ready.functionKey },
    body: JSON.stringify(body),
  });
}

async function statusOf(
  ready: HostReadyLine,
  id: string,
): Promise<{ runtimeStatus: string; output: unknown }> {
  const res = await call(ready, 'ops', { op: 'status', id });
  return (await res.json()) as { runtimeStatus: string; output: unknown };
}

describe('killing the host mid-orchestration', () => {
  it('resumes every run on restart: the interrupted activity runs again, finished ones do not, timers re-arm', async () => {
    const first = await startChild();
    expect(first.ready.functions).toContain('slowFlow');
    expect((await call(first.ready, 'start/slowFlow/slow-1', { key: 'slow-1', ms: 1500 })).status).toBe(202);
    expect((await call(first.ready, 'start/race/race-1', { timeoutMs: 1200 })).status).toBe(202);
    await waitFor('the slow activity to start', () =>
      sideEffects(effects, 'slow-1-slow').length > 0 ? true : undefined,
    );
    await kill(first.child);
    expect(sideEffects(effects, 'slow-1-slow')).toEqual(['start']);

    const second = await startChild();
    const done = await waitFor(
      'slowFlow to complete',
      async () => {
        const s = await statusOf(second.ready, 'slow-1');
        return s.runtimeStatus === 'Completed' ? s : undefined;
      },
      15_000,
    );
    expect(done.output).toEqual({ before: 1, slow: 3, after: 2 });
    expect(sideEffects(effects, 'slow-1')).toEqual(['before', 'after']);
    expect(sideEffects(effects, 'slow-1-slow')).toEqual(['start', 'start', 'end']);

    const race = await waitFor('race to complete', async () => {
      const s = await statusOf(second.ready, 'race-1');
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(race.output).toEqual({ winner: 'timer', after: 1 });
    expect(second.stderr()).toContain('resuming slowFlow instance slow-1');

    const exited = new Promise<number | null>((r) => second.child.once('exit', r));
    second.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
