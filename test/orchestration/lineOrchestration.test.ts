// The serving-line orchestration through durable-functions' own replay (DurableSim): which work it
// schedules for each request (rollout, rollback at each stage, supersede, park, wake, delete,
// requests arriving mid-work), what it answers the runs, and what it continues as new with.
import * as azf from '@azure/functions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { LineView, RolloutResult } from '../../src/domain/line.js';
import { ExternalEvent, FunctionName } from '../../src/names.js';
import type { LineInput, LineLook, LineSettings, RolloutRequest } from '../../src/orchestration/contract.js';
import { DurableSim } from './durableSim.js';

type Handler = ConstructorParameters<typeof DurableSim>[0];
let handler: Handler;

beforeAll(async () => {
  const registered = new Map<string, { handler: Handler }>();
  vi.spyOn(azf.app, 'generic').mockImplementation((name: string, options: unknown) => {
    registered.set(name, options as { handler: Handler });
  });
  await import('../../functions/fineTuneOrchestrator.js');
  const orchestration = registered.get(FunctionName.lineOrchestrator);
  if (orchestration === undefined) throw new Error('lineOrchestrator was not registered');
  handler = orchestration.handler;
  vi.restoreAllMocks();
});

const LINE = 'chat';
const ENDPOINT = 'chat-1a2b3c4d';
const URI = `https://${ENDPOINT}.eastus.inference.ml.azure.com/score`;
const SETTINGS: LineSettings = {
  hourlyCostUsd: 3.67,
  canaryPercent: 0,
  bakeSeconds: 60,
  drainSeconds: 30,
  compare: 'none',
  compareMetric: 'eval_loss',
  pollSeconds: 10,
  deadlineSeconds: 600,
};

const ok = <T>(value: T) => ({ ok: true, value });
const fail = (code: string, message: string) => ({ ok: false, error: { code, message } });

function rollout(runId: string, version: string): RolloutRequest {
  return {
    kind: 'rollout',
    runId,
    modelId: `/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/models/Phi-4-ft/versions/${version}`,
    modelLabel: `Phi-4-ft:${version}`,
    modelVersion: version,
    testPath: `runs/${runId}/test.jsonl`,
  };
}

const CHAMPION = { model: 'm/1', label: 'Phi-4-ft:1', deployment: 'v1', runId: 'ft-champion' };

function serving(): LineView {
  return {
    line: LINE,
    endpoint: { name: ENDPOINT, scoringUri: URI },
    state: 'serving',
    champion: CHAMPION,
    traffic: { v1: 100 },
    history: [{ at: '2025-12-31T00:00:00.000Z', action: 'created', runId: 'ft-champion', reason: 'first' }],
  };
}

function look(
  deployments: Record<string, string>,
  traffic: Record<string, number> = {},
  state = 'Succeeded',
): LineLook {
  return {
    exists: true,
    provisioningState: state,
    scoringUri: URI,
    traffic,
    deployments: Object.entries(deployments).map(([name, provisioningState]) => ({
      name,
      provisioningState,
    })),
  };
}

function sim(input: Partial<LineInput>): DurableSim {
  return new DurableSim(handler, `line-${LINE}`, {
    line: LINE,
    endpointName: ENDPOINT,
    settings: SETTINGS,
    ...input,
  });
}

const SMOKE = ok({ input: [{ role: 'user', content: 'hi' }], answer: 'hello' });

/** The result the line sent to `runId` (the input of its lineNotifyRun). */
function answered(s: DurableSim, runId: string): RolloutResult | undefined {
  const call = s.scheduled.find(
    (x) =>
      x.kind === 'activity' && x.name === 'lineNotifyRun' && (x.input as { runId: string }).runId === runId,
  );
  return call?.kind === 'activity' ? (call.input as { result: RolloutResult }).result : undefined;
}

/** Fires what is left (the drain's timer due now) until the execution continues as new; its input. */
async function continued(s: DurableSim): Promise<LineInput> {
  for (let i = 0; i < 5 && s.continuedWith === undefined && s.state?.isDone !== true; i += 1) {
    if (s.pendingActivities().some((p) => p.name === 'fineTunePublishEvents')) {
      await s.complete('fineTunePublishEvents', ok({ published: 1 })).episode();
    } else if (s.pendingTimers().length > 0) {
      await s.fireTimer().episode();
    } else break;
  }
  return s.continuedWith as LineInput;
}

describe('the first rollout of a line', () => {
  it('creates the endpoint, deploys, smoke tests the deployment, routes 100% and answers "first"', async () => {
    const s = sim({ pending: [rollout('ft-a', '107')] });
    await s.start();
    await s.complete('lineEnsureEndpoint', ok(look({}, {}, 'Creating'))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineStartDeployment', ok({ name: 'v107', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v107: 'Succeeded' }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({ v107: 'Succeeded' }, { v107: 100 }))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineSetTags', ok(look({ v107: 'Succeeded' }, { v107: 100 }))).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(s.activityNames()).toEqual([
      'lineEnsureEndpoint',
      'lineLook',
      'lineStartDeployment',
      'lineLook',
      'lineSmokeTest',
      'lineLook',
      'lineSetTraffic',
      'lineLook',
      'lineSetTags',
      'lineNotifyRun',
    ]);
    expect(answered(s, 'ft-a')).toMatchObject({
      outcome: 'first',
      deployment: 'v107',
      endpoint: { name: ENDPOINT, scoringUri: URI },
    });
    const next = await continued(s);
    expect(next.view).toMatchObject({
      state: 'serving',
      champion: { deployment: 'v107', runId: 'ft-a' },
      traffic: { v107: 100 },
    });
    expect(next.pending).toEqual([]);
  });

  it('an endpoint still busy with an update (e.g. one begun before a crash) is waited out before traffic moves', async () => {
    const s = sim({ pending: [rollout('ft-a', '107')] });
    await s.start();
    await s.complete('lineEnsureEndpoint', ok(look({}))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineStartDeployment', ok({ name: 'v107', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v107: 'Succeeded' }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineLook', ok(look({ v107: 'Succeeded' }, {}, 'Updating'))).episode();
    expect(s.pendingActivities().map((p) => p.name)).toEqual([]);
    expect(s.pendingTimers()).toHaveLength(1);
    await s.fireTimer().episode();
    await s.complete('lineLook', ok(look({ v107: 'Succeeded' }))).episode();
    expect(s.pendingActivities().map((p) => p.name)).toEqual(['lineSetTraffic']);
  });

  it('a first deployment that fails: it and the endpoint are deleted, the line failed, the run told "failed"', async () => {
    const s = sim({ pending: [rollout('ft-a', '107')] });
    await s.start();
    await s.complete('lineEnsureEndpoint', ok(look({}))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineStartDeployment', ok({ name: 'v107', provisioningState: 'Creating' })).episode();
    await s
      .complete('lineLook', fail('DEPLOY.FAILED', 'deployment chat-1a2b3c4d/v107 ended Failed'))
      .episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    // the line never served: its endpoint goes too
    await s.complete('lineDeleteEndpoint', ok({ deleted: true })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(answered(s, 'ft-a')).toMatchObject({
      outcome: 'failed',
      endpointDeleted: true,
      error: { code: 'DEPLOY.FAILED' },
    });
    expect((await continued(s)).view?.state).toBe('failed');
  });
});

describe('a rollout beside a champion', () => {
  it('the new deployment takes all traffic after its smoke test; the old one is deleted after the drain', async () => {
    const s = sim({ view: serving(), pending: [rollout('ft-b', '108')] });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v108', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v1: 'Succeeded', v108: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s
      .complete('lineSetTraffic', ok(look({ v1: 'Succeeded', v108: 'Succeeded' }, { v108: 100, v1: 0 })))
      .episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineSetTags', ok(look({}))).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(answered(s, 'ft-b')).toMatchObject({ outcome: 'rolledOut', deployment: 'v108' });
    expect(s.pendingTimers().map((t) => t.fireAt)).toHaveLength(1);
    await s.fireTimer().episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    const deleted = s.scheduled.filter((x) => x.kind === 'activity' && x.name === 'lineDeleteDeployment');
    expect(
      deleted.map((d) =>
        d.kind === 'activity' ? (d.input as { deploymentName: string }).deploymentName : '',
      ),
    ).toEqual(['v1']);
    expect(s.scheduled.find((x) => x.kind === 'activity' && x.name === 'lineSetTraffic')).toMatchObject({
      input: { traffic: { v108: 100, v1: 0 } },
    });
    expect((await continued(s)).view).toMatchObject({ state: 'serving', champion: { deployment: 'v108' } });
  });

  it('a smoke test that fails before any traffic moved: the new deployment is deleted, the champion untouched', async () => {
    const s = sim({ view: serving(), pending: [rollout('ft-b', '108')] });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v108', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v1: 'Succeeded', v108: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineSmokeTest', fail('ROLLOUT.SMOKE_TEST_FAILED', 'no answer')).episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(s.activityNames()).not.toContain('lineSetTraffic');
    expect(answered(s, 'ft-b')).toMatchObject({
      outcome: 'rolledBack',
      error: { code: 'ROLLOUT.SMOKE_TEST_FAILED' },
    });
    expect((await continued(s)).view).toMatchObject({ state: 'serving', champion: CHAMPION });
    expect((await continued(s)).view?.challenger).toBeUndefined();
  });

  it('a canary that fails after its bake: traffic goes back to the champion before the deletion', async () => {
    const s = sim({
      view: serving(),
      pending: [rollout('ft-b', '108')],
      settings: { ...SETTINGS, canaryPercent: 10 },
    });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v108', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v1: 'Succeeded', v108: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({}, { v1: 90, v108: 10 }))).episode();
    expect(s.pendingTimers()[0]?.fireAt).toBe(new Date(Date.parse(s.now) + 60_000).toISOString());
    await s.fireTimer().episode();
    await s.complete('lineSmokeTest', fail('ROLLOUT.SMOKE_TEST_FAILED', 'HTTP 502')).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({}, { v1: 100, v108: 0 }))).episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    const traffic = s.scheduled.flatMap((x) =>
      x.kind === 'activity' && x.name === 'lineSetTraffic' ? [(x.input as { traffic: unknown }).traffic] : [],
    );
    expect(traffic).toEqual([
      { v1: 90, v108: 10 },
      { v1: 100, v108: 0 },
    ]);
    expect(answered(s, 'ft-b')).toMatchObject({
      outcome: 'rolledBack',
      error: { code: 'ROLLOUT.CANARY_FAILED' },
    });
  });

  it('the metrics comparison rolls back a model whose eval loss is worse than the champion', async () => {
    const s = sim({
      view: { ...serving(), champion: { ...CHAMPION, metrics: { 'finetune/eval_loss': 0.5 } } },
      pending: [{ ...rollout('ft-b', '108'), metrics: { 'finetune/eval_loss': 0.9 } }],
      settings: { ...SETTINGS, compare: 'metrics' },
    });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v108', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v1: 'Succeeded', v108: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(answered(s, 'ft-b')).toMatchObject({
      outcome: 'rolledBack',
      error: {
        code: 'ROLLOUT.COMPARISON_FAILED',
        message: 'eval_loss 0.9 of Phi-4-ft:108 is worse (higher) than 0.5 of Phi-4-ft:1',
      },
    });
  });
});

describe('one writer per line', () => {
  it('when several rollouts wait, only the newest rolls out; the others are told "superseded"', async () => {
    const s = sim({
      view: serving(),
      pending: [rollout('ft-1', '111'), rollout('ft-2', '112'), rollout('ft-3', '113')],
    });
    await s.start();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect([answered(s, 'ft-1')?.outcome, answered(s, 'ft-2')?.outcome]).toEqual([
      'superseded',
      'superseded',
    ]);
    expect(answered(s, 'ft-1')?.reason).toBe('superseded by run ft-3 (Phi-4-ft:113), which arrived later');
    const started = s.scheduled.find((x) => x.kind === 'activity' && x.name === 'lineStartDeployment');
    expect(started).toMatchObject({ input: { deploymentName: 'v113' } });
  });

  it('a request that arrives mid-rollout waits: it is carried into the next execution, not interleaved', async () => {
    const s = sim({ view: serving(), pending: [rollout('ft-b', '108')] });
    await s.start();
    s.raise(ExternalEvent.lineRequest, { kind: 'park', requestId: 'p-1', reason: 'operator' });
    await s.raise(ExternalEvent.lineRequest, rollout('ft-c', '109')).episode();
    expect(s.activityNames(), JSON.stringify(s.scheduled)).toEqual(['lineStartDeployment']);
    await s.complete('lineStartDeployment', ok({ name: 'v108', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v108: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineSmokeTest', SMOKE).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({}, { v108: 100, v1: 0 }))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineSetTags', ok(look({}))).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    await s.fireTimer().episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    expect(s.activityNames().filter((n) => n === 'lineStartDeployment')).toHaveLength(1);
    expect((await continued(s)).pending).toEqual([
      { kind: 'park', requestId: 'p-1', reason: 'operator' },
      rollout('ft-c', '109'),
    ]);
  });

  it('a resent rollout of a run already answered gets the same answer, and nothing is deployed', async () => {
    const result: RolloutResult = {
      outcome: 'rolledOut',
      line: LINE,
      endpoint: { name: ENDPOINT },
      deployment: 'v108',
      reason: 'done',
    };
    const s = sim({ view: serving(), pending: [rollout('ft-b', '108')], outcomes: { 'ft-b': result } });
    await s.start();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    expect(s.activityNames()).toEqual(['lineNotifyRun']);
    expect(answered(s, 'ft-b')).toEqual(result);
  });

  it('a command id already handled is dropped when redelivered', async () => {
    const s = sim({ view: serving(), handled: ['p-1'] });
    await s.start();
    await s.raise(ExternalEvent.lineRequest, { kind: 'park', requestId: 'p-1', reason: 'again' }).episode();
    expect(s.activityNames()).toEqual([]);
    expect(s.state?.isDone).toBe(false);
  });
});

describe('park, wake and delete', () => {
  it('park: traffic off, every deployment deleted, the endpoint kept and tagged, the line parked', async () => {
    const s = sim({ view: serving(), pending: [{ kind: 'park', requestId: 'p-1', reason: 'idle for 2 h' }] });
    await s.start();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({ v1: 'Succeeded' }, {}))).episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineSetTags', ok(look({}))).episode();
    expect(s.activityNames()).toEqual([
      'lineLook',
      'lineSetTraffic',
      'lineDeleteDeployment',
      'lineLook',
      'lineLook',
      'lineSetTags',
      'fineTunePublishEvents',
    ]);
    const published = s.scheduled.find((x) => x.kind === 'activity' && x.name === 'fineTunePublishEvents');
    expect(published).toMatchObject({
      input: {
        events: [
          {
            type: 'finetune-autopilot.line.parked',
            subject: 'lines/chat',
            data: { state: 'parked', reason: 'idle for 2 h' },
          },
        ],
      },
    });
    expect(s.activityNames()).not.toContain('lineDeleteEndpoint');
    const tags = s.scheduled.find((x) => x.kind === 'activity' && x.name === 'lineSetTags');
    expect(tags).toMatchObject({
      input: { tags: { 'autopilot-champion': 'm/1', 'autopilot-champion-deployment': 'v1' } },
    });
    expect((await continued(s)).view).toMatchObject({ state: 'parked', traffic: {}, champion: CHAMPION });
    expect((await continued(s)).handled).toEqual(['p-1']);
  });

  it("a park decided before the line's model last began serving is stale and dropped", async () => {
    const s = sim({
      view: serving(),
      pending: [{ kind: 'park', requestId: 'p-1', reason: 'idle', decidedAt: '2025-12-30T00:00:00.000Z' }],
    });
    await s.start();
    expect(s.activityNames()).toEqual([]);
    expect((await continued(s)).view?.state).toBe('serving');
  });

  it('wake: the champion is deployed again and takes all traffic', async () => {
    const parked: LineView = {
      ...serving(),
      state: 'parked',
      traffic: {},
      parkedSince: '2025-12-31T06:00:00.000Z',
    };
    const s = sim({ view: parked, pending: [{ kind: 'wake', requestId: 'w-1', reason: 'operator' }] });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v1', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', ok(look({ v1: 'Succeeded' }))).episode();
    await s.complete('lineLook', ok(look({}))).episode(); // the endpoint is settled
    await s.complete('lineSetTraffic', ok(look({ v1: 'Succeeded' }, { v1: 100 }))).episode();
    await s.complete('lineLook', ok(look({}))).episode();
    await s.complete('lineSetTags', ok(look({}))).episode();
    expect(s.scheduled.find((x) => x.kind === 'activity' && x.name === 'lineStartDeployment')).toMatchObject({
      input: { deploymentName: 'v1', modelId: 'm/1' },
    });
    const view = (await continued(s)).view;
    expect(view).toMatchObject({ state: 'serving', traffic: { v1: 100 } });
    expect(view?.parkedSince).toBeUndefined();
    expect(typeof view?.lastDeploySeconds).toBe('number');
  });

  it('a wake whose deployment fails leaves the line parked, saying so', async () => {
    const parked: LineView = {
      ...serving(),
      state: 'parked',
      traffic: {},
      parkedSince: '2025-12-31T06:00:00.000Z',
    };
    const s = sim({ view: parked, pending: [{ kind: 'wake', requestId: 'w-1', reason: 'operator' }] });
    await s.start();
    await s.complete('lineStartDeployment', ok({ name: 'v1', provisioningState: 'Creating' })).episode();
    await s.complete('lineLook', fail('DEPLOY.FAILED', 'quota')).episode();
    await s.complete('lineDeleteDeployment', ok({ deleted: true })).episode();
    expect((await continued(s)).view).toMatchObject({ state: 'parked' });
    expect((await continued(s)).view?.history.at(-1)).toMatchObject({ action: 'wakeFailed' });
  });

  it('delete: the endpoint goes, waiting rollouts are superseded, and the orchestration ends', async () => {
    const s = sim({
      view: serving(),
      pending: [{ kind: 'delete', requestId: 'd-1', reason: 'operator' }, rollout('ft-late', '120')],
    });
    await s.start();
    await s.complete('lineDeleteEndpoint', ok({ deleted: true })).episode();
    await s.complete('lineLook', ok({ exists: false, traffic: {}, deployments: [] })).episode();
    await s.complete('lineNotifyRun', ok({ delivered: true })).episode();
    await s.complete('fineTunePublishEvents', ok({ published: 1 })).episode();
    expect(answered(s, 'ft-late')).toMatchObject({
      outcome: 'superseded',
      reason: "line 'chat' was deleted before this model's turn",
    });
    expect(s.state?.isDone).toBe(true);
    expect(s.continuedWith).toBeUndefined();
    expect((s.state?.output as LineView).history.at(-1)).toMatchObject({ action: 'deleted' });
  });
});
