import { describe, expect, it } from 'vitest';
import { decideTeardown, type TeardownInput } from '../../src/domain/idle.js';
import type { EndpointInfo, RequestCountBucket } from '../../src/domain/resources.js';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const OWNED = { 'autopilot-owner': 'finetune-autopilot', 'autopilot-run-id': 'ft-1' };

function endpoint(name: string, extra: Partial<EndpointInfo> = {}): EndpointInfo {
  return {
    name,
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/${name}`,
    provisioningState: 'Succeeded',
    tags: OWNED,
    traffic: { demo: 100 },
    createdAt: '2026-01-01T08:00:00.000Z',
    ...extra,
  };
}

const base: TeardownInput = {
  endpoints: [],
  requests: {},
  now: NOW,
  idleWindowSeconds: 7200,
  idleGraceSeconds: 3600,
  dryRun: false,
  maxDeletions: 5,
  activeRunIds: new Set(),
};
/** One bucket per minute from `from` (inclusive) to `to` (exclusive), each with `total` (null: no value). */
function minutes(from: string, to: string, total: number | null = 0): RequestCountBucket[] {
  const buckets: RequestCountBucket[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += 60_000) {
    buckets.push({ timeStamp: new Date(t).toISOString(), total: total ?? undefined });
  }
  return buckets;
}
/** Every minute of the default 7200 s window before NOW reported as 0 requests. */
const QUIET = minutes('2026-01-01T10:00:00.000Z', '2026-01-01T12:00:00.000Z');
const IDLE = 'no requests in the last 7200 s: every minute reported 0';

const decide = (endpoints: EndpointInfo[], extra: Partial<TeardownInput> = {}) =>
  decideTeardown({
    ...base,
    requests: Object.fromEntries(endpoints.map((e) => [e.name, QUIET])),
    ...extra,
    endpoints,
  }).map((d) => ({
    name: d.endpoint.name,
    action: d.action,
    reason: d.reason,
    ...(d.hourlyCost === undefined ? {} : { cost: d.hourlyCost }),
  }));

describe('decideTeardown', () => {
  it('deletes an owned, settled endpoint past its grace period with no requests in the window', () => {
    expect(decide([endpoint('ep-idle')])).toEqual([{ name: 'ep-idle', action: 'delete', reason: IDLE }]);
  });

  it('keeps an endpoint with a request in the window, and ignores traffic older than the window', () => {
    const requests = {
      'ep-used': QUIET.map((b) => (b.timeStamp === '2026-01-01T11:30:00.000Z' ? { ...b, total: 3 } : b)),
      'ep-old-traffic': [{ timeStamp: '2026-01-01T09:00:00.000Z', total: 40 }, ...QUIET],
    };
    expect(decide([endpoint('ep-used'), endpoint('ep-old-traffic')], { requests })).toEqual([
      { name: 'ep-used', action: 'keep', reason: '3 request(s) in the last 7200 s' },
      { name: 'ep-old-traffic', action: 'delete', reason: IDLE },
    ]);
  });

  it('keeps an endpoint with traffic even when other minutes have no value', () => {
    const requests = {
      'ep-used': [
        { timeStamp: '2026-01-01T11:59:00.000Z', total: undefined },
        { timeStamp: '2026-01-01T11:30:00.000Z', total: 3 },
      ],
    };
    expect(decide([endpoint('ep-used')], { requests })).toEqual([
      { name: 'ep-used', action: 'keep', reason: '3 request(s) in the last 7200 s' },
    ]);
  });

  it('counts a one-minute bucket that started before the window but overlaps it', () => {
    // Window 12:00:00 - 60 s = 11:59:00.5 starts inside the 11:59 bucket: its request may be inside.
    const requests = { 'ep-recent': [{ timeStamp: '2026-01-01T11:59:00.000Z', total: 2 }] };
    const now = new Date('2026-01-01T12:00:00.500Z');
    expect(decide([endpoint('ep-recent')], { requests, now, idleWindowSeconds: 60 })).toEqual([
      { name: 'ep-recent', action: 'keep', reason: '2 request(s) in the last 60 s' },
    ]);
  });

  it('no longer counts a bucket once all of it is older than the window', () => {
    const requests = {
      'ep-recent': [
        { timeStamp: '2026-01-01T11:59:00.000Z', total: 2 },
        { timeStamp: '2026-01-01T12:00:00.000Z', total: 0 },
      ],
    };
    const now = new Date('2026-01-01T12:01:00.000Z');
    expect(decide([endpoint('ep-recent')], { requests, now, idleWindowSeconds: 60 })).toEqual([
      {
        name: 'ep-recent',
        action: 'delete',
        reason: 'no requests in the last 60 s: every minute reported 0',
      },
    ]);
  });

  it('keeps an endpoint whose run is still in progress, past the grace period and without traffic', () => {
    // the run is deploying it (traffic is set last) or smoke testing it; a failing run deletes its own
    const deploying = endpoint('ep-deploying', {
      tags: { ...OWNED, 'autopilot-run-id': 'ft-busy' },
      traffic: {},
    });
    const done = endpoint('ep-done', { tags: { ...OWNED, 'autopilot-run-id': 'ft-done' } });
    expect(decide([deploying, done], { activeRunIds: new Set(['ft-busy']) })).toEqual([
      { name: 'ep-deploying', action: 'keep', reason: 'its run ft-busy is still in progress' },
      { name: 'ep-done', action: 'delete', reason: IDLE },
    ]);
  });

  it('never touches an endpoint this app does not own', () => {
    expect(decide([endpoint('theirs', { tags: { team: 'search' } })])).toEqual([
      { name: 'theirs', action: 'keep', reason: 'not owned by finetune-autopilot' },
    ]);
  });

  it('keeps an endpoint tagged autopilot-keep=true', () => {
    expect(decide([endpoint('pinned', { tags: { ...OWNED, 'autopilot-keep': 'TRUE' } })])).toEqual([
      { name: 'pinned', action: 'keep', reason: 'tagged autopilot-keep=true' },
    ]);
  });

  it('keeps an endpoint still within its grace period after creation', () => {
    expect(decide([endpoint('new', { createdAt: '2026-01-01T11:30:00.000Z' })])).toEqual([
      { name: 'new', action: 'keep', reason: 'created 1800 s ago, within the 3600 s grace period' },
    ]);
  });

  it('keeps an endpoint that is not settled or whose age or metrics are unknown', () => {
    expect(
      decide([
        endpoint('creating', { provisioningState: 'Creating' }),
        endpoint('ageless', { createdAt: undefined }),
      ]),
    ).toEqual([
      { name: 'creating', action: 'keep', reason: 'provisioning state is Creating' },
      {
        name: 'ageless',
        action: 'keep',
        reason: 'creation time unknown, so the grace period cannot be applied',
      },
    ]);
    expect(decide([endpoint('blind')], { requests: {} })).toEqual([
      { name: 'blind', action: 'keep', reason: 'request metrics unavailable' },
    ]);
  });

  it('only reports what it would delete in a dry run', () => {
    expect(decide([endpoint('ep-idle')], { dryRun: true })).toEqual([
      { name: 'ep-idle', action: 'wouldDelete', reason: `${IDLE} (dry run)` },
    ]);
  });

  it('caps deletions per sweep, deleting the most expensive, then the oldest, first', () => {
    const endpoints = [
      endpoint('a-cheap-old', { createdAt: '2026-01-01T01:00:00.000Z' }),
      endpoint('b-dear', { createdAt: '2026-01-01T09:00:00.000Z' }),
      endpoint('c-cheap-new', { createdAt: '2026-01-01T09:00:00.000Z' }),
    ];
    const hourlyCost = (e: EndpointInfo) => (e.name === 'b-dear' ? 3.06 : 0.9);
    expect(decide(endpoints, { maxDeletions: 2, hourlyCost })).toEqual([
      { name: 'a-cheap-old', action: 'delete', reason: IDLE, cost: 0.9 },
      { name: 'b-dear', action: 'delete', reason: IDLE, cost: 3.06 },
      {
        name: 'c-cheap-new',
        action: 'keep',
        reason: `${IDLE}, but this sweep reached its limit of 2 deletion(s)`,
        cost: 0.9,
      },
    ]);
  });
});

describe('decideTeardown: unknown traffic is not idleness', () => {
  it('keeps an endpoint when Azure Monitor returned no data points at all', () => {
    expect(decide([endpoint('ep-empty')], { requests: { 'ep-empty': [] } })).toEqual([
      {
        name: 'ep-empty',
        action: 'keep',
        reason: 'Azure Monitor returned no request data for the last 7200 s: unknown traffic is not idleness',
      },
    ]);
  });

  it('keeps an endpoint whose every minute came back without a value (null)', () => {
    const requests = {
      'ep-null': minutes('2026-01-01T10:00:00.000Z', '2026-01-01T12:00:00.000Z', null),
    };
    expect(decide([endpoint('ep-null')], { requests })).toEqual([
      {
        name: 'ep-null',
        action: 'keep',
        reason:
          'Azure Monitor reported no value for any of the 120 minute(s) of the last 7200 s: unknown traffic is not idleness',
      },
    ]);
  });

  it('keeps an endpoint when some minutes inside the window have no value (partial)', () => {
    const requests = {
      'ep-partial': QUIET.map((b) =>
        b.timeStamp >= '2026-01-01T10:30:00.000Z' && b.timeStamp < '2026-01-01T10:35:00.000Z'
          ? { ...b, total: undefined }
          : b,
      ),
    };
    expect(decide([endpoint('ep-partial')], { requests })).toEqual([
      {
        name: 'ep-partial',
        action: 'keep',
        reason:
          'no request data for 5 of the 120 minute(s) of the last 7200 s (first gap at 2026-01-01T10:30:00.000Z): unknown traffic is not idleness',
      },
    ]);
  });

  it('keeps an endpoint when minutes are missing from the list altogether', () => {
    const requests = { 'ep-holes': QUIET.filter((b) => b.timeStamp !== '2026-01-01T11:00:00.000Z') };
    expect(decide([endpoint('ep-holes')], { requests })).toEqual([
      {
        name: 'ep-holes',
        action: 'keep',
        reason:
          'no request data for 1 of the 120 minute(s) of the last 7200 s (first gap at 2026-01-01T11:00:00.000Z): unknown traffic is not idleness',
      },
    ]);
  });

  it('keeps an endpoint whose most recent minutes have not been reported yet (late)', () => {
    const requests = { 'ep-late': minutes('2026-01-01T10:00:00.000Z', '2026-01-01T11:57:00.000Z') };
    expect(decide([endpoint('ep-late')], { requests })).toEqual([
      {
        name: 'ep-late',
        action: 'keep',
        reason:
          'no request data for 3 of the 120 minute(s) of the last 7200 s (the most recent 3 minute(s) from 2026-01-01T11:57:00.000Z not reported yet (metrics may be late)): unknown traffic is not idleness',
      },
    ]);
  });

  it('with a metrics delay, deletes when the window before the delay is all 0 and the late minutes are absent', () => {
    // Window 09:55-11:55 (7200 s ending 300 s before NOW) fully reported; 11:55-12:00 not in yet.
    const requests = { 'ep-late': minutes('2026-01-01T09:55:00.000Z', '2026-01-01T11:55:00.000Z') };
    expect(decide([endpoint('ep-late')], { requests, metricsDelaySeconds: 300 })).toEqual([
      { name: 'ep-late', action: 'delete', reason: IDLE },
    ]);
  });

  it('with a metrics delay, still keeps an endpoint whose late minutes show requests', () => {
    const requests = {
      'ep-woke': [
        ...minutes('2026-01-01T09:55:00.000Z', '2026-01-01T11:55:00.000Z'),
        { timeStamp: '2026-01-01T11:58:00.000Z', total: 4 },
      ],
    };
    expect(decide([endpoint('ep-woke')], { requests, metricsDelaySeconds: 300 })).toEqual([
      { name: 'ep-woke', action: 'keep', reason: '4 request(s) in the last 7200 s' },
    ]);
  });
});

describe('decideTeardown: malformed, skewed and short-window metrics', () => {
  const gapAt = (minute: string) =>
    `no request data for 1 of the 120 minute(s) of the last 7200 s (first gap at ${minute}): unknown traffic is not idleness`;

  it('reads a minute whose total is not a number as unknown, not as 0', () => {
    const requests = {
      'ep-nan': QUIET.map((b) => (b.timeStamp === '2026-01-01T11:00:00.000Z' ? { ...b, total: NaN } : b)),
    };
    expect(decide([endpoint('ep-nan')], { requests })).toEqual([
      { name: 'ep-nan', action: 'keep', reason: gapAt('2026-01-01T11:00:00.000Z') },
    ]);
  });

  it('reads a negative count as unknown: it cannot cancel out a minute with requests', () => {
    const requests = {
      'ep-negative': QUIET.map((b) =>
        b.timeStamp === '2026-01-01T11:00:00.000Z'
          ? { ...b, total: 3 }
          : b.timeStamp === '2026-01-01T11:01:00.000Z'
            ? { ...b, total: -3 }
            : b,
      ),
    };
    expect(decide([endpoint('ep-negative')], { requests })).toEqual([
      { name: 'ep-negative', action: 'keep', reason: '3 request(s) in the last 7200 s' },
    ]);
  });

  it('leaves the minute of a bucket whose timestamp cannot be read unknown', () => {
    const requests = {
      'ep-garbled': QUIET.map((b) =>
        b.timeStamp === '2026-01-01T10:30:00.000Z' ? { ...b, timeStamp: 'half past ten' } : b,
      ),
    };
    expect(decide([endpoint('ep-garbled')], { requests })).toEqual([
      { name: 'ep-garbled', action: 'keep', reason: gapAt('2026-01-01T10:30:00.000Z') },
    ]);
  });

  it('keeps an endpoint whose requests are stamped after now (a clock ahead of ours)', () => {
    const requests = { 'ep-ahead': [...QUIET, { timeStamp: '2026-01-01T12:02:00.000Z', total: 2 }] };
    expect(decide([endpoint('ep-ahead')], { requests })).toEqual([
      { name: 'ep-ahead', action: 'keep', reason: '2 request(s) in the last 7200 s' },
    ]);
  });

  it('with a window shorter than a minute, needs the one minute the window overlaps, reported 0', () => {
    const reported = { 'ep-short': [{ timeStamp: '2026-01-01T11:59:00.000Z', total: 0 }] };
    expect(decide([endpoint('ep-short')], { requests: reported, idleWindowSeconds: 30 })).toEqual([
      { name: 'ep-short', action: 'delete', reason: 'no requests in the last 30 s: every minute reported 0' },
    ]);
    const unreported = { 'ep-short': [{ timeStamp: '2026-01-01T11:59:00.000Z', total: undefined }] };
    expect(decide([endpoint('ep-short')], { requests: unreported, idleWindowSeconds: 30 })).toEqual([
      {
        name: 'ep-short',
        action: 'keep',
        reason:
          'Azure Monitor reported no value for any of the 1 minute(s) of the last 30 s: unknown traffic is not idleness',
      },
    ]);
  });

  it('names why the metrics could not be read when the sweep says so', () => {
    expect(
      decide([endpoint('ep-down')], {
        requests: {},
        metricsUnavailable: { 'ep-down': 'MONITOR.UNAVAILABLE: 503 from Azure Monitor' },
      }),
    ).toEqual([
      {
        name: 'ep-down',
        action: 'keep',
        reason: 'request metrics unavailable: MONITOR.UNAVAILABLE: 503 from Azure Monitor',
      },
    ]);
  });
});

describe('decideTeardown: serving lines', () => {
  const LINE = { 'autopilot-owner': 'finetune-autopilot', 'autopilot-line': 'chat' };

  it('keeps a line endpoint with empty traffic without reading metrics: nothing to park', () => {
    const parked = endpoint('chat-1a2b3c4d', { tags: LINE, traffic: {} });
    // no metrics at all: the reason is the line's, not "request metrics unavailable"
    expect(decide([parked], { requests: {} })).toEqual([
      {
        name: 'chat-1a2b3c4d',
        action: 'keep',
        reason:
          "line 'chat' has no deployment taking traffic (parked, or its first model is deploying): nothing to park",
      },
    ]);
  });

  it('keeps a line endpoint with empty traffic even when its metrics say idle', () => {
    const parked = endpoint('chat-1a2b3c4d', { tags: LINE, traffic: {} });
    expect(decide([parked])[0]?.action).toBe('keep');
  });

  it('counts a line endpoint’s grace from its autopilot-serving-since tag, not from createdAt', () => {
    // created 4 h before NOW (past the 3600 s grace), its current model serving for 30 min
    const line = endpoint('chat-1a2b3c4d', {
      tags: { ...LINE, 'autopilot-serving-since': '2026-01-01T11:30:00.000Z' },
      traffic: { v20260101: 100 },
    });
    expect(decide([line])).toEqual([
      {
        name: 'chat-1a2b3c4d',
        action: 'keep',
        reason: "line 'chat' began serving its model 1800 s ago, within the 3600 s grace period",
      },
    ]);
  });

  it('lets the metrics decide a line endpoint whose model has served past the grace period', () => {
    const line = endpoint('chat-1a2b3c4d', {
      tags: { ...LINE, 'autopilot-serving-since': '2026-01-01T10:00:00.000Z' },
      traffic: { v20260101: 100 },
    });
    expect(decide([line])).toEqual([{ name: 'chat-1a2b3c4d', action: 'delete', reason: IDLE }]);
  });

  it('counts from createdAt when the serving-since tag is older than the endpoint', () => {
    const line = endpoint('chat-1a2b3c4d', {
      tags: { ...LINE, 'autopilot-serving-since': '2026-01-01T07:00:00.000Z' },
      createdAt: '2026-01-01T11:30:00.000Z',
      traffic: { v20260101: 100 },
    });
    expect(decide([line])).toEqual([
      {
        name: 'chat-1a2b3c4d',
        action: 'keep',
        reason: 'created 1800 s ago, within the 3600 s grace period',
      },
    ]);
  });

  it('counts from createdAt when the serving-since tag is not a time', () => {
    const line = endpoint('chat-1a2b3c4d', {
      tags: { ...LINE, 'autopilot-serving-since': 'yesterday-ish' },
      createdAt: '2026-01-01T11:30:00.000Z',
      traffic: { v20260101: 100 },
    });
    expect(decide([line])[0]?.reason).toBe('created 1800 s ago, within the 3600 s grace period');
  });

  it('ignores a serving-since tag on an endpoint that is not a line’s', () => {
    const run = endpoint('ep-run', {
      tags: { ...OWNED, 'autopilot-serving-since': '2026-01-01T11:30:00.000Z' },
    });
    expect(decide([run])).toEqual([{ name: 'ep-run', action: 'delete', reason: IDLE }]);
  });
});
