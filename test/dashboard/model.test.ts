import { describe, expect, it } from 'vitest';
import {
  alignedData,
  errorFindings,
  estimatedCostUsd,
  filterRuns,
  formatDuration,
  formatTime,
  HOURLY_PRICE_USD,
  lossSeries,
  parseRoute,
  runRow,
  runsHash,
  smokeQuestion,
  timelineBars,
} from '../../src/dashboard/model.js';
import type { RunWire, StepWire } from '../../src/dashboard/wire.js';
import { HOURLY_PRICE_ESTIMATE_USD } from '../../src/runs/teardown.js';

const T0 = Date.parse('2026-12-02T01:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function run(steps: StepWire[], more: Partial<RunWire> = {}): RunWire {
  return {
    runId: 'ft-0123456789abcdef0123',
    dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' },
    status: 'Succeeded',
    step: 'smokeTest',
    steps,
    ...more,
  };
}

const FINISHED = run(
  [
    { id: 'validate', status: 'succeeded', startedAt: at(0), endedAt: at(10) },
    {
      id: 'checkCompute',
      status: 'succeeded',
      startedAt: at(10),
      endedAt: at(20),
      detail: 'gpu-cluster: Standard_NC24ads_A100_v4, 1 GPUs x 2 nodes',
    },
    { id: 'train', status: 'succeeded', startedAt: at(20), endedAt: at(20 + 1800) },
    { id: 'gate', status: 'skipped' },
    { id: 'smokeTest', status: 'succeeded', startedAt: at(1820), endedAt: at(2000) },
  ],
  { line: 'chat', model: { name: 'chat-ft', version: '3', id: '/models/chat-ft/versions/3' } },
);

describe('runs table', () => {
  it('a finished run: its line, start, duration, model and estimated training cost', () => {
    expect(runRow(FINISHED, T0 + 999_000_000)).toEqual({
      runId: 'ft-0123456789abcdef0123',
      status: 'Succeeded',
      line: 'chat',
      dataset: 'incoming/chat/train.jsonl',
      started: '2026-12-02 01:00:00 UTC',
      duration: '33 min 20 s',
      model: 'chat-ft:3',
      // half an hour x 2 nodes x $3.67
      cost: '$3.67',
    });
  });

  it('no cost for a VM size without a price on record', () => {
    const steps = FINISHED.steps.map((s) =>
      s.id === 'checkCompute' ? { ...s, detail: 'c: Standard_Unknown_v9, 1 GPUs x 1 nodes' } : s,
    );
    expect(estimatedCostUsd(run(steps), T0)).toBeUndefined();
  });

  it('a running job costs up to now', () => {
    const steps = FINISHED.steps.map((s) =>
      s.id === 'train' ? { id: 'train', status: 'running' as const, startedAt: at(20) } : s,
    );
    expect(estimatedCostUsd(run(steps, { status: 'Running' }), T0 + (20 + 3600) * 1000)).toBeCloseTo(
      7.34,
      10,
    );
  });

  it('keeps the price list of the teardown log', () => {
    expect(HOURLY_PRICE_USD).toEqual(HOURLY_PRICE_ESTIMATE_USD);
  });

  it('filters by status and by line, the line taken from the dataset when the view has none', () => {
    const other = run([], {
      runId: 'ft-11111111111111111111',
      status: 'Failed',
      dataset: { container: 'c', path: 'incoming/support.jsonl', etag: '0x2' },
    });
    expect(filterRuns([FINISHED, other], { status: 'Failed' }).map((r) => r.runId)).toEqual([
      'ft-11111111111111111111',
    ]);
    expect(filterRuns([FINISHED, other], { line: 'support' }).map((r) => r.runId)).toEqual([
      'ft-11111111111111111111',
    ]);
    expect(filterRuns([FINISHED, other], {}).length).toBe(2);
  });
});

describe('timeline', () => {
  it('one bar per step, placed on the run span; a step that never ran has width 0', () => {
    const bars = timelineBars(FINISHED, T0);
    expect(bars.map((b) => [b.id, b.left, b.width])).toEqual([
      ['validate', 0, 0.5],
      ['checkCompute', 0.5, 0.5],
      ['train', 1, 90],
      ['gate', 0, 0],
      ['smokeTest', 91, 9],
    ]);
    expect(bars[2]?.label).toBe('succeeded, 30 min 0 s');
  });
});

describe('loss curves', () => {
  const history = {
    runId: 'r',
    series: {
      'chat_completion_finetune/train_loss': [{ step: 30, value: 1.1 }],
      'chat_completion_finetune/eval_loss': [{ step: 20, value: 1.5 }],
      'chat_completion_finetune/loss': [
        { step: 10, value: 2 },
        { step: 20, value: 1.6 },
      ],
    },
  };

  it('draws training loss, then evaluation loss', () => {
    expect(lossSeries(history).map((s) => [s.label, s.key])).toEqual([
      ['training loss', 'chat_completion_finetune/loss'],
      ['evaluation loss', 'chat_completion_finetune/eval_loss'],
    ]);
  });

  it('aligns the series on the union of their steps, null where one has no value', () => {
    expect(alignedData(lossSeries(history))).toEqual([
      [10, 20],
      [2, 1.6],
      [null, 1.5],
    ]);
  });
});

describe('formatting', () => {
  it('durations', () => {
    expect([850, 42_000, 185_000, 7_440_000].map(formatDuration)).toEqual([
      '850 ms',
      '42 s',
      '3 min 5 s',
      '2 h 4 min',
    ]);
  });

  it('times in UTC whatever the locale; nothing for a missing one', () => {
    expect(formatTime('2026-12-02T01:02:03.456Z')).toBe('2026-12-02 01:02:03 UTC');
    expect(formatTime(undefined)).toBe('');
  });

  it("the smoke test's question is the last user message", () => {
    expect(
      smokeQuestion([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'What is Azure ML?' },
      ]),
    ).toBe('What is Azure ML?');
  });
});

describe('routes', () => {
  it('reads #/runs with filters, #/runs/<id> and #/lines', () => {
    expect(parseRoute('#/runs?status=Failed&line=chat')).toEqual({
      view: 'runs',
      filter: { status: 'Failed', line: 'chat' },
    });
    expect(parseRoute('#/runs/ft-0123456789abcdef0123')).toEqual({
      view: 'run',
      runId: 'ft-0123456789abcdef0123',
    });
    expect(parseRoute('#/lines')).toEqual({ view: 'lines' });
    expect(parseRoute('')).toEqual({ view: 'runs', filter: {} });
  });

  it('writes the filters back into the hash', () => {
    expect(runsHash({ status: 'Succeeded', line: '' })).toBe('#/runs?status=Succeeded');
    expect(runsHash({})).toBe('#/runs');
  });
});

describe('errors', () => {
  it("a rejected dataset's findings, line by line, at most the limit", () => {
    const details = [
      { line: 2, code: 'DATASET.INVALID_JSON', message: 'not JSON' },
      { line: 4, code: 'DATASET.INVALID_ROLE', message: "role 'robot'" },
      'junk',
      { code: 'DATASET.TOO_FEW_ROWS', message: 'too few rows' },
    ];
    expect(errorFindings(details)).toEqual([
      'line 2: DATASET.INVALID_JSON: not JSON',
      "line 4: DATASET.INVALID_ROLE: role 'robot'",
      'DATASET.TOO_FEW_ROWS: too few rows',
    ]);
    expect(errorFindings(details, 1)).toEqual(['line 2: DATASET.INVALID_JSON: not JSON']);
    expect(errorFindings(undefined)).toEqual([]);
  });
});
