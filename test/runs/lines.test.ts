// The serving lines as operators see them (src/runs/lines.ts) over a recording in-memory
// LineInstances and a fake EndpointMetrics: both are the app's own ports (the durable client and
// Azure Monitor adapters are covered in test/adapters/), so a small object is enough here.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config.js';
import type { LineModel, LineView } from '../../src/domain/line.js';
import type { EndpointMetrics } from '../../src/domain/ports.js';
import type { RequestCountBucket } from '../../src/domain/resources.js';
import { deleteLine, listLines, parkLine, showLine, wakeLine, type LinesDeps } from '../../src/runs/lines.js';
import { expectedLine, RecordingRunInstances, testConfig, WORKSPACE } from './support.js';

const NOW = new Date('2026-01-01T10:30:00.000Z');
const CONNECTION =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1';

const CHAMPION: LineModel = {
  model: 'azureml://models/chat-ft/versions/20251231',
  label: 'chat-ft:20251231',
  deployment: 'v20251231',
  runId: 'ft-bbbbbbbbbbbbbbbbbbbb',
};

/** The endpoint name docs/lines.md gives line `chat` in testConfig's workspace (support.ts expectedLine). */
const CHAT_ENDPOINT = expectedLine('chat').endpointName as string;

function lineView(line: string, overrides: Partial<LineView> = {}): LineView {
  return {
    line,
    endpoint: { name: `${line}-00000000`, scoringUri: `https://ml.example/score/${line}-00000000` },
    state: 'serving',
    champion: CHAMPION,
    traffic: { v20251231: 100 },
    history: [{ at: '2025-12-31T00:00:00.000Z', action: 'created', reason: 'first model' }],
    ...overrides,
  };
}

/** A line instance with a published status (its customStatus). */
function addLine(
  view: LineView,
  {
    runtimeStatus = 'Running',
    pending = [] as string[],
    current,
  }: { runtimeStatus?: string; pending?: string[]; current?: string } = {},
): void {
  lines.add({
    instanceId: `line-${view.line}`,
    runtimeStatus,
    customStatus: { view, pending, outcomes: {}, ...(current === undefined ? {} : { current }) },
  });
}

class FakeMetrics implements EndpointMetrics {
  readonly asked: { id: string; from: string; to: string }[] = [];
  constructor(private readonly buckets: RequestCountBucket[] | Error) {}
  requestsPerMinute(id: string, from: Date, to: Date): Promise<RequestCountBucket[]> {
    this.asked.push({ id, from: from.toISOString(), to: to.toISOString() });
    return this.buckets instanceof Error ? Promise.reject(this.buckets) : Promise.resolve(this.buckets);
  }
}

let lines: RecordingRunInstances;
let config: AppConfig;
let deps: LinesDeps;

beforeEach(() => {
  lines = new RecordingRunInstances();
  config = testConfig(CONNECTION, {
    INFERENCE_INSTANCE_TYPE: 'Standard_NC24ads_A100_v4',
    INFERENCE_INSTANCE_COUNT: '2',
  });
  // RecordingRunInstances records any input; the line port's start takes a LineInput
  deps = { lines: lines as unknown as LinesDeps['lines'], config, now: () => NOW };
});

describe('listLines', () => {
  it('lists the lines sorted by id', async () => {
    addLine(lineView('zeta'));
    addLine(lineView('alpha'));
    addLine(lineView('mid'));
    expect((await listLines(deps)).map((v) => v.line)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('hides deleted lines and instances without a line status', async () => {
    addLine(lineView('kept'));
    addLine(
      lineView('gone', {
        history: [
          { at: '2025-12-31T00:00:00.000Z', action: 'created', reason: 'first model' },
          { at: '2026-01-01T00:00:00.000Z', action: 'deleted', reason: 'deleted through the API' },
        ],
      }),
      { runtimeStatus: 'Completed' },
    );
    lines.add({ instanceId: 'line-junk', customStatus: 'not a status' });
    expect(await listLines(deps)).toEqual([lineView('kept')]);
  });

  // One junk instance must not make the whole list throw (GET /api/lines 500): found by this test; fixed.
  it('lists the other lines when one instance published a status whose view is null', async () => {
    addLine(lineView('kept'));
    lines.add({ instanceId: 'line-junk', customStatus: { view: null, pending: [], outcomes: {} } });
    expect(await listLines(deps)).toEqual([lineView('kept')]);
  });

  it('answers an empty list when there is no line', async () => {
    expect(await listLines(deps)).toEqual([]);
  });
});

describe('showLine', () => {
  it('answers 404 LINE.NOT_FOUND for a line without an instance', async () => {
    expect(await showLine(deps, 'nope')).toEqual({
      ok: false,
      error: {
        code: 'LINE.NOT_FOUND',
        message:
          "no line 'nope': no model was deployed for it yet, or it was deleted (GET /api/lines lists the lines)",
      },
    });
  });

  it('answers LINE.NOT_FOUND for a deleted line', async () => {
    addLine(
      lineView('chat', {
        history: [{ at: '2026-01-01T00:00:00.000Z', action: 'deleted', reason: 'deleted through the API' }],
      }),
      { runtimeStatus: 'Completed' },
    );
    expect(await showLine(deps, 'chat')).toMatchObject({ ok: false, error: { code: 'LINE.NOT_FOUND' } });
  });

  it("shows a serving line's view as published", async () => {
    addLine(lineView('chat'));
    expect(await showLine(deps, 'chat')).toEqual({ ok: true, value: lineView('chat') });
  });

  it('adds the cost saved while parked: hours parked x hourly price x instance count', async () => {
    // parked 10.5 h before NOW; Standard_NC24ads_A100_v4 is estimated at $3.67/h (src/runs/teardown.ts); 2 instances
    // 10.5 x 3.67 x 2 = 77.07
    addLine(lineView('chat', { state: 'parked', traffic: {}, parkedSince: '2026-01-01T00:00:00.000Z' }));
    const shown = await showLine(deps, 'chat');
    expect(shown.ok && shown.value.estimatedSavedUsd).toBe(77.07);
  });

  it('adds no saving for an instance type without a price estimate', async () => {
    deps = { ...deps, config: testConfig(CONNECTION, { INFERENCE_INSTANCE_TYPE: 'Standard_Unpriced_v9' }) };
    addLine(lineView('chat', { state: 'parked', traffic: {}, parkedSince: '2026-01-01T00:00:00.000Z' }));
    const shown = await showLine(deps, 'chat');
    expect(shown.ok && 'estimatedSavedUsd' in shown.value).toBe(false);
  });

  it("adds the last request: the newest minute with requests in the endpoint's metrics", async () => {
    const metrics = new FakeMetrics([
      { timeStamp: '2026-01-01T10:01:00Z', total: 2 },
      { timeStamp: '2026-01-01T09:58:00Z', total: 1 },
      { timeStamp: '2026-01-01T10:05:00Z', total: 0 },
      { timeStamp: '2026-01-01T10:07:00Z', total: undefined },
    ]);
    deps = { ...deps, endpointMetrics: metrics };
    addLine(lineView('chat'));
    const shown = await showLine(deps, 'chat');
    expect(shown.ok && shown.value.lastRequestAt).toBe('2026-01-01T10:01:00Z');
  });

  it("asks the metrics of the line's endpoint over the last day", async () => {
    const metrics = new FakeMetrics([]);
    deps = { ...deps, endpointMetrics: metrics };
    addLine(lineView('chat'));
    await showLine(deps, 'chat');
    expect(metrics.asked).toEqual([
      {
        id: `/subscriptions/${WORKSPACE.AZURE_SUBSCRIPTION_ID}/resourceGroups/${WORKSPACE.AZUREML_RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE.AZUREML_WORKSPACE}/onlineEndpoints/chat-00000000`,
        from: '2025-12-31T10:30:00.000Z',
        to: '2026-01-01T10:30:00.000Z',
      },
    ]);
  });

  it('shows the line without a last request when the metrics fail', async () => {
    deps = { ...deps, endpointMetrics: new FakeMetrics(new Error('Azure Monitor 503')) };
    addLine(lineView('chat'));
    expect(await showLine(deps, 'chat')).toEqual({ ok: true, value: lineView('chat') });
  });
});

describe('wakeLine', () => {
  const parked = (overrides: Partial<LineView> = {}) =>
    lineView('chat', {
      endpoint: { name: CHAT_ENDPOINT },
      state: 'parked',
      traffic: {},
      parkedSince: '2026-01-01T00:00:00.000Z',
      ...overrides,
    });

  it('accepts a parked line with Retry-After from its last deployment, and sends the wake', async () => {
    addLine(parked({ lastDeploySeconds: 420 }));
    expect(await wakeLine(deps, 'chat')).toEqual({
      ok: true,
      value: {
        accepted: true,
        view: { ...parked({ lastDeploySeconds: 420 }), state: 'waking' },
        retryAfterSeconds: 420,
      },
    });
    expect(lines.raised).toEqual([
      {
        instanceId: 'line-chat',
        eventName: 'LineRequest',
        payload: { kind: 'wake', requestId: expect.any(String) as unknown, reason: 'woken through the API' },
      },
    ]);
  });

  it('estimates 900 s (a managed deployment takes 10-20 min) when no deployment time is known', async () => {
    addLine(parked());
    const woken = await wakeLine(deps, 'chat');
    expect(woken.ok && woken.value.accepted && woken.value.retryAfterSeconds).toBe(900);
  });

  it("restarts a parked line whose instance ended, from its view, with the line's settings", async () => {
    addLine(parked(), { runtimeStatus: 'Completed' });
    // the durable client starts an id whose instance ended afresh (RecordingRunInstances would answer 'exists')
    lines.start = (instanceId, input) => {
      lines.started.push({ instanceId, input });
      return Promise.resolve('started');
    };
    await wakeLine(deps, 'chat', 'a caller needs it');
    // this file's config serves on 2 instances: 2 x $3.67/h
    const settings = { ...(expectedLine('chat').settings as object), hourlyCostUsd: 7.34 };
    expect(lines.started).toEqual([
      {
        instanceId: 'line-chat',
        input: {
          line: 'chat',
          endpointName: CHAT_ENDPOINT,
          settings,
          view: parked(),
          pending: [{ kind: 'wake', requestId: expect.any(String) as unknown, reason: 'a caller needs it' }],
        },
      },
    ]);
  });

  it('is a no-op that says so for a serving line', async () => {
    addLine(lineView('chat'));
    expect(await wakeLine(deps, 'chat')).toEqual({
      ok: true,
      value: { accepted: false, view: lineView('chat'), note: "line 'chat' is serving; nothing to wake" },
    });
    expect(lines.raised).toEqual([]);
  });

  it('is a no-op that says so for a line rolling out', async () => {
    addLine(lineView('chat', { state: 'rollingOut' }));
    const woken = await wakeLine(deps, 'chat');
    expect(woken.ok && !woken.value.accepted && woken.value.note).toBe(
      "line 'chat' is serving (a rollout is in progress); nothing to wake",
    );
    expect(lines.raised).toEqual([]);
  });

  it.each([
    ['waking', { state: 'waking' as const }, {}],
    ['a wake pending', {}, { pending: ['rollout:ft-cccccccccccccccccccc', 'wake:req-1'] }],
    ['a wake in progress', {}, { current: 'wake:req-1' }],
  ])('answers "already waking" for a line with %s, sending nothing', async (_, view, status) => {
    addLine(parked(view), status);
    expect(await wakeLine(deps, 'chat')).toEqual({
      ok: true,
      value: { accepted: false, view: parked(view), note: "line 'chat' is already waking" },
    });
    expect(lines.raised).toEqual([]);
    expect(lines.started).toEqual([]);
  });

  it.each([['failed'], ['deploying']] as const)('refuses a %s line with LINE.CONFLICT', async (state) => {
    addLine(lineView('chat', { state }));
    expect(await wakeLine(deps, 'chat')).toEqual({
      ok: false,
      error: {
        code: 'LINE.CONFLICT',
        message: `line 'chat' is ${state} and has no parked model to wake; upload a dataset to deploy one`,
      },
    });
    expect(lines.raised).toEqual([]);
  });

  it('refuses a parked line without a champion with LINE.CONFLICT', async () => {
    const { champion: _, ...noChampion } = parked();
    addLine(noChampion);
    expect(await wakeLine(deps, 'chat')).toMatchObject({ ok: false, error: { code: 'LINE.CONFLICT' } });
  });

  it('answers LINE.NOT_FOUND for an unknown line', async () => {
    expect(await wakeLine(deps, 'nope')).toMatchObject({ ok: false, error: { code: 'LINE.NOT_FOUND' } });
  });
});

describe('parkLine', () => {
  const serving = () => lineView('chat', { endpoint: { name: CHAT_ENDPOINT } });

  it('accepts a serving line and sends the park', async () => {
    addLine(serving());
    expect(await parkLine(deps, 'chat')).toEqual({ ok: true, value: { accepted: true, view: serving() } });
    expect(lines.raised).toEqual([
      {
        instanceId: 'line-chat',
        eventName: 'LineRequest',
        payload: { kind: 'park', requestId: expect.any(String) as unknown, reason: 'parked through the API' },
      },
    ]);
  });

  it('is a no-op for a parked line', async () => {
    const view = lineView('chat', { state: 'parked', traffic: {} });
    addLine(view);
    expect(await parkLine(deps, 'chat')).toEqual({
      ok: true,
      value: { accepted: false, view, note: "line 'chat' is already parked" },
    });
    expect(lines.raised).toEqual([]);
  });

  it('is a no-op for a line with a park pending', async () => {
    addLine(serving(), { pending: ['park:req-9'] });
    const parked = await parkLine(deps, 'chat');
    expect(parked.ok && parked.value.accepted).toBe(false);
    expect(lines.raised).toEqual([]);
  });

  it('refuses a line rolling out with LINE.CONFLICT', async () => {
    addLine(lineView('chat', { state: 'rollingOut' }));
    expect(await parkLine(deps, 'chat')).toEqual({
      ok: false,
      error: { code: 'LINE.CONFLICT', message: "line 'chat' is rollingOut; park it once it is serving" },
    });
    expect(lines.raised).toEqual([]);
  });

  it('answers LINE.NOT_FOUND for an unknown line', async () => {
    expect(await parkLine(deps, 'nope')).toMatchObject({ ok: false, error: { code: 'LINE.NOT_FOUND' } });
  });
});

describe('deleteLine', () => {
  const serving = () => lineView('chat', { endpoint: { name: CHAT_ENDPOINT } });

  it('accepts and sends the delete', async () => {
    addLine(serving());
    expect(await deleteLine(deps, 'chat')).toEqual({ ok: true, value: { accepted: true, view: serving() } });
    expect(lines.raised).toEqual([
      {
        instanceId: 'line-chat',
        eventName: 'LineRequest',
        payload: {
          kind: 'delete',
          requestId: expect.any(String) as unknown,
          reason: 'deleted through the API',
        },
      },
    ]);
  });

  it('is a no-op for a line already being deleted', async () => {
    addLine(serving(), { current: 'delete:req-3' });
    expect(await deleteLine(deps, 'chat')).toEqual({
      ok: true,
      value: { accepted: false, view: serving(), note: "line 'chat' is already being deleted" },
    });
    expect(lines.raised).toEqual([]);
  });

  it('answers LINE.NOT_FOUND for an unknown line', async () => {
    expect(await deleteLine(deps, 'nope')).toMatchObject({ ok: false, error: { code: 'LINE.NOT_FOUND' } });
  });
});
