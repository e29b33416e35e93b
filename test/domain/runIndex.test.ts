import { describe, expect, it } from 'vitest';
import {
  decodeRunCursor,
  encodeRunCursor,
  isRunStatus,
  listRowKey,
  RUN_STATUSES,
  runSummaryOf,
} from '../../src/domain/runIndex.js';
import {
  newRunView,
  runEnded,
  runFailed,
  stepStarted,
  stepSucceeded,
  withPatch,
  type RunView,
} from '../../src/domain/runView.js';

const RUN_ID = 'ft-0123456789abcdef0123';
const DATASET = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' };
const FIRST_SEEN = '2026-01-01T00:00:00.000Z';

describe('RUN_STATUSES', () => {
  it('lists the six run statuses in the order the API names them', () => {
    expect(RUN_STATUSES).toEqual(['Running', 'Succeeded', 'NotDeployed', 'RolledBack', 'Failed', 'Canceled']);
  });

  it('knows a status by its exact spelling only', () => {
    expect(isRunStatus('Failed')).toBe(true);
    expect(isRunStatus('failed')).toBe(false);
    expect(isRunStatus('toString')).toBe(false);
  });
});

describe('runSummaryOf', () => {
  it('summarizes a fresh view: Running at validate, started when first seen, the line from the dataset path', () => {
    expect(runSummaryOf(newRunView(RUN_ID, DATASET), FIRST_SEEN)).toEqual({
      runId: RUN_ID,
      line: 'chat',
      dataset: DATASET,
      status: 'Running',
      step: 'validate',
      startedAt: FIRST_SEEN,
    });
  });

  it("takes the start from the view's first started step once there is one", () => {
    const view = stepStarted(newRunView(RUN_ID, DATASET), 'validate', '2026-01-01T00:00:05.000Z');
    expect(runSummaryOf(view, FIRST_SEEN).startedAt).toBe('2026-01-01T00:00:05.000Z');
  });

  it('uses the view line when it has one', () => {
    expect(runSummaryOf({ ...newRunView(RUN_ID, DATASET), line: 'support' }, FIRST_SEEN).line).toBe(
      'support',
    );
  });

  it('has no end while Running, even with steps that ended', () => {
    const view = stepSucceeded(
      stepStarted(newRunView(RUN_ID, DATASET), 'validate', FIRST_SEEN),
      'validate',
      '2026-01-01T00:01:00.000Z',
    );
    expect(runSummaryOf(view, FIRST_SEEN).endedAt).toBeUndefined();
  });

  it("ends a failed run at its steps' last end", () => {
    const view = runFailed(
      stepStarted(newRunView(RUN_ID, DATASET), 'validate', FIRST_SEEN),
      'validate',
      { code: 'DATASET.INVALID', message: 'bad' },
      '2026-01-01T00:02:00.000Z',
    );
    expect(runSummaryOf(view, FIRST_SEEN)).toMatchObject({
      status: 'Failed',
      step: 'validate',
      endedAt: '2026-01-01T00:02:00.000Z',
    });
  });

  it('names the model name:version once registered, not the base model alone', () => {
    const base = withPatch(newRunView(RUN_ID, DATASET), { model: { base: { name: 'Phi-4', version: '7' } } });
    const registered = withPatch(base, { model: { name: 'Phi-4-ft', version: '12', id: 'x' } });
    expect(runSummaryOf(base, FIRST_SEEN).model).toBeUndefined();
    expect(runSummaryOf(runEnded(registered, 'NotDeployed', FIRST_SEEN), FIRST_SEEN)).toMatchObject({
      status: 'NotDeployed',
      model: 'Phi-4-ft:12',
    });
  });

  it('leaves the line out for a dataset path that has none', () => {
    const view: RunView = newRunView(RUN_ID, { ...DATASET, path: 'elsewhere/x.txt' });
    expect(runSummaryOf(view, FIRST_SEEN)).not.toHaveProperty('line');
  });
});

describe('listRowKey', () => {
  it('is the start in milliseconds inverted against 9,999,999,999,999, 13 digits, then the run id', () => {
    // 2026-01-01T00:00:00Z is 1,767,225,600,000 ms: 9,999,999,999,999 - that = 8,232,774,399,999
    expect(listRowKey('2026-01-01T00:00:00.000Z', RUN_ID)).toBe(`8232774399999_${RUN_ID}`);
  });

  it('sorts a later start first', () => {
    expect(listRowKey('2026-01-01T00:00:01.000Z', RUN_ID)).toBe(`8232774398999_${RUN_ID}`);
    expect(
      listRowKey('2026-01-01T00:00:01.000Z', RUN_ID) < listRowKey('2026-01-01T00:00:00.000Z', RUN_ID),
    ).toBe(true);
  });
});

describe('the run cursor (continuationToken)', () => {
  it('is base64url of the JSON pair of the table continuation values', () => {
    const token = encodeRunCursor({ nextPartitionKey: 'cnVucw==', nextRowKey: 'MDA=' });
    expect(token).toBe(Buffer.from('["cnVucw==","MDA="]').toString('base64url'));
    expect(decodeRunCursor(token)).toEqual({ nextPartitionKey: 'cnVucw==', nextRowKey: 'MDA=' });
  });

  it('may carry a partition key alone', () => {
    const token = encodeRunCursor({ nextPartitionKey: '1!8!cnVucw--' });
    expect(decodeRunCursor(token)).toEqual({ nextPartitionKey: '1!8!cnVucw--' });
  });

  for (const [name, token] of [
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['an object', Buffer.from('{"nextPartitionKey":"a"}').toString('base64url')],
    ['numbers', Buffer.from('[1,2]').toString('base64url')],
    ['empty', Buffer.from('[]').toString('base64url')],
    ['a control character', Buffer.from('["a\\u0000"]').toString('base64url')],
    ['a value over 1,024 characters', Buffer.from(JSON.stringify(['a'.repeat(1025)])).toString('base64url')],
    ['over 3,000 characters', 'A'.repeat(3001)],
  ] as const) {
    it(`refuses a token that is ${name}`, () => {
      expect(decodeRunCursor(token)).toBeUndefined();
    });
  }
});
