// The page's reading of the API's bodies (src/dashboard/wire.ts) against the app's own types: each
// case hands a value of the app's type to a function that takes the page's type, so a change to the
// run view, the line view or the history body that the page would misread fails to compile (lint).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { lineOfRun, runRow } from '../../src/dashboard/model.js';
import type { LineWire, MetricHistoryWire, RunWire } from '../../src/dashboard/wire.js';
import type { LineView } from '../../src/domain/line.js';
import { newRunView, stepStarted, type RunView } from '../../src/domain/runView.js';
import type { MetricHistoryBody } from '../../src/http/runMetricHistory.js';

describe('the wire types', () => {
  it('a run view is a RunWire', () => {
    const view: RunView = stepStarted(
      newRunView(
        'ft-0123456789abcdef0123',
        { container: 'c', path: 'incoming/chat/train.jsonl', etag: 'e' },
        'chat',
      ),
      'validate',
      '2026-12-02T01:00:00.000Z',
    );
    expect(runRow(view, Date.parse('2026-12-02T01:00:05Z'))).toMatchObject({
      status: 'Running',
      line: 'chat',
      started: '2026-12-02 01:00:00 UTC',
      duration: '5 s',
    });
    expect(lineOfRun(view)).toBe('chat');
  });

  it('a line view is a LineWire, and the history body a MetricHistoryWire', () => {
    expectTypeOf<LineView>().toExtend<LineWire>();
    expectTypeOf<MetricHistoryBody>().toExtend<MetricHistoryWire>();
    expectTypeOf<RunView>().toExtend<RunWire>();
    const line: LineView = {
      line: 'chat',
      endpoint: { name: 'chat-0a1b2c3d' },
      state: 'parked',
      traffic: {},
      history: [{ at: '2026-12-02T01:00:00Z', action: 'parked', reason: 'idle 2 h' }],
    };
    const wire: LineWire = line;
    expect(wire.history[0]?.reason).toBe('idle 2 h');
  });
});
