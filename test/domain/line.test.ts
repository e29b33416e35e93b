import { describe, expect, it } from 'vitest';
import {
  checkLineId,
  deploymentNameFor,
  isLineId,
  lineEndpointName,
  lineIdOf,
  lineInstanceId,
  lineOfDataset,
  withHistory,
  workspaceResourceId,
  type LineView,
} from '../../src/domain/line.js';

const WS =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

describe('line ids', () => {
  it('slugs a dataset name to lower-case letters, digits and single dashes', () => {
    expect(lineIdOf('Support_Chat  v2!')).toBe('support-chat-v2');
  });
  it('names the line of a folder dataset by its folder', () => {
    expect(lineOfDataset('incoming/Chat/train.jsonl')).toEqual({ ok: true, value: 'chat' });
  });
  it('names the line of a single-file dataset by its file name', () => {
    expect(lineOfDataset('incoming/ultrachat.parquet')).toEqual({ ok: true, value: 'ultrachat' });
  });
  it('refuses a path that is not a dataset', () => {
    const line = lineOfDataset('elsewhere/x.jsonl');
    expect(line.ok ? 'ok' : line.error.code).toBe('DATASET.BAD_PATH');
  });
  it('a name with nothing to keep becomes "line"', () => {
    expect(lineIdOf('___')).toBe('line');
  });
  it('caps the slug at 63 characters without a trailing dash', () => {
    const id = lineIdOf(`${'a'.repeat(62)}-b`);
    expect(id).toBe('a'.repeat(62));
  });
  it('accepts ids as produced and refuses others in URLs', () => {
    expect([isLineId('chat-2'), isLineId('Chat'), isLineId('-x'), isLineId('a/b'), isLineId('')]).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });
  it('an unacceptable id is LINE.NOT_FOUND', () => {
    const r = checkLineId('%2F');
    expect(r.ok ? 'ok' : r.error.code).toBe('LINE.NOT_FOUND');
  });
  it('the line instance id is line-<id>', () => {
    expect(lineInstanceId('chat')).toBe('line-chat');
  });
});

describe('line endpoint names', () => {
  it('is the slug, a dash and 8 hex', () => {
    expect(lineEndpointName(WS, 'chat')).toMatch(/^chat-[0-9a-f]{8}$/);
  });
  it('differs by workspace for the same line', () => {
    expect(lineEndpointName(WS, 'chat')).not.toBe(lineEndpointName(`${WS}2`, 'chat'));
  });
  it('is stable (the same inputs give the same name)', () => {
    expect(lineEndpointName(WS.toUpperCase(), 'chat')).toBe(lineEndpointName(WS, 'chat'));
  });
  it('starts with a letter when the line starts with a digit', () => {
    expect(lineEndpointName(WS, '2024-data')).toMatch(/^l2024-data-[0-9a-f]{8}$/);
  });
  it('stays within 32 characters for a long line id', () => {
    const name = lineEndpointName(WS, 'x'.repeat(63));
    expect([name.length, name.slice(0, 21)]).toEqual([29, `${'x'.repeat(20)}-`]);
  });
  it('does not end the slug part on a dash', () => {
    expect(lineEndpointName(WS, `${'a'.repeat(19)}-bbbb`)).toMatch(/^a{19}-[0-9a-f]{8}$/);
  });
  it('builds the workspace ARM id', () => {
    expect(workspaceResourceId({ subscriptionId: 's', resourceGroup: 'g', workspace: 'w' })).toBe(
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w',
    );
  });
});

describe('deployment names', () => {
  it('is v + the model version', () => {
    expect(deploymentNameFor('123456789012')).toBe('v123456789012');
  });
  it('is at least 3 characters (ARM refuses shorter names)', () => {
    expect([deploymentNameFor('1'), deploymentNameFor('')]).toEqual(['v1-0', 'v-0']);
  });
  it('replaces characters deployments do not allow and caps at 32', () => {
    expect(deploymentNameFor('1.2_3')).toBe('v1-2-3');
    expect(deploymentNameFor('9'.repeat(40)).length).toBe(32);
  });
});

describe('line history', () => {
  it('keeps the newest 50 entries', () => {
    let view: LineView = {
      line: 'l',
      endpoint: { name: 'l-00000000' },
      state: 'serving',
      traffic: {},
      history: [],
    };
    for (let i = 0; i < 55; i += 1)
      view = withHistory(view, { at: String(i), action: 'rolledOut', reason: 'r' });
    expect([view.history.length, view.history[0]?.at, view.history.at(-1)?.at]).toEqual([50, '5', '54']);
  });
});
