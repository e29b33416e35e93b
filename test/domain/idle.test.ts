import { describe, expect, it } from 'vitest';
import { decideTeardown, type TeardownInput } from '../../src/domain/idle.js';
import type { EndpointInfo } from '../../src/domain/ports.js';

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
const decide = (endpoints: EndpointInfo[], extra: Partial<TeardownInput> = {}) =>
  decideTeardown({
    ...base,
    requests: Object.fromEntries(endpoints.map((e) => [e.name, []])),
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
    expect(decide([endpoint('ep-idle')])).toEqual([
      { name: 'ep-idle', action: 'delete', reason: 'no requests in the last 7200 s' },
    ]);
  });

  it('keeps an endpoint with a request in the window and ignores older buckets and missing totals', () => {
    const requests = {
      'ep-used': [
        { timeStamp: '2026-01-01T11:59:00.000Z', total: undefined },
        { timeStamp: '2026-01-01T11:30:00.000Z', total: 3 },
      ],
      'ep-old-traffic': [
        { timeStamp: '2026-01-01T09:00:00.000Z', total: 40 },
        { timeStamp: '2026-01-01T11:00:00.000Z', total: 0 },
      ],
    };
    expect(decide([endpoint('ep-used'), endpoint('ep-old-traffic')], { requests })).toEqual([
      { name: 'ep-used', action: 'keep', reason: '3 request(s) in the last 7200 s' },
      { name: 'ep-old-traffic', action: 'delete', reason: 'no requests in the last 7200 s' },
    ]);
  });

  it('counts a one-minute bucket that started before the window but overlaps it', () => {
    // Window 12:00:00 - 60 s = 11:59:00.5 starts inside the 11:59 bucket: its request may be inside.
    const requests = { 'ep-recent': [{ timeStamp: '2026-01-01T11:59:00.000Z', total: 2 }] };
    const now = new Date('2026-01-01T12:00:00.500Z');
    expect(decide([endpoint('ep-recent')], { requests, now, idleWindowSeconds: 60 })).toEqual([
      { name: 'ep-recent', action: 'keep', reason: '2 request(s) in the last 60 s' },
    ]);
    // Once the whole bucket is older than the window, it no longer counts.
    const later = new Date('2026-01-01T12:01:00.000Z');
    expect(decide([endpoint('ep-recent')], { requests, now: later, idleWindowSeconds: 60 })).toEqual([
      { name: 'ep-recent', action: 'delete', reason: 'no requests in the last 60 s' },
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
      { name: 'ep-done', action: 'delete', reason: 'no requests in the last 7200 s' },
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
      { name: 'ep-idle', action: 'wouldDelete', reason: 'no requests in the last 7200 s (dry run)' },
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
      { name: 'a-cheap-old', action: 'delete', reason: 'no requests in the last 7200 s', cost: 0.9 },
      { name: 'b-dear', action: 'delete', reason: 'no requests in the last 7200 s', cost: 3.06 },
      {
        name: 'c-cheap-new',
        action: 'keep',
        reason: 'no requests in the last 7200 s, but this sweep reached its limit of 2 deletion(s)',
        cost: 0.9,
      },
    ]);
  });
});
