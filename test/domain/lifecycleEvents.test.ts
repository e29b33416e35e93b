import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  lifecycleEventId,
  lineEvents,
  runEndedAt,
  runEvents,
  teardownDeletedEvent,
  teardownEvents,
  withoutSecrets,
} from '../../src/domain/lifecycleEvents.js';
import type { LineHistoryEntry, LineView } from '../../src/domain/line.js';
import type { RunView, StepView } from '../../src/domain/runView.js';

const RUN_ID = 'ft-0123456789abcdef0123';
const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC' };

/** Every step succeeded, the last one ending at `end`. */
function steps(end: string): StepView[] {
  return [
    {
      id: 'validate',
      status: 'succeeded',
      startedAt: '2026-12-01T10:00:00.000Z',
      endedAt: '2026-12-01T10:01:00.000Z',
    },
    { id: 'deploy', status: 'succeeded', startedAt: '2026-12-01T10:05:00.000Z', endedAt: end },
    {
      id: 'smokeTest',
      status: 'succeeded',
      startedAt: '2026-12-01T10:06:00.000Z',
      endedAt: '2026-12-01T10:06:30.000Z',
    },
    { id: 'cleanup', status: 'skipped' },
  ];
}

function view(status: RunView['status'], extra: Partial<RunView> = {}): RunView {
  return {
    runId: RUN_ID,
    dataset,
    line: 'chat',
    status,
    step: 'smokeTest',
    steps: steps('2026-12-01T10:09:00.000Z'),
    ...extra,
  };
}

/** The UUID-shaped sha256 the contract describes, computed here independently. */
function expectedId(subject: string, type: string, transition: string): string {
  const h = createHash('sha256').update(`${subject}\n${type}\n${transition}`).digest('hex');
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20, 32)].join('-');
}

describe('runEvents', () => {
  it('a succeeded run is one run.succeeded for runs/<runId>', () => {
    const [event] = runEvents(view('Succeeded'));
    expect([event?.type, event?.subject]).toEqual(['finetune-autopilot.run.succeeded', `runs/${RUN_ID}`]);
  });

  it('names each end status with its own type', () => {
    const types = (['Failed', 'Canceled', 'NotDeployed', 'RolledBack'] as const).map(
      (status) => runEvents(view(status))[0]?.type,
    );
    expect(types).toEqual([
      'finetune-autopilot.run.failed',
      'finetune-autopilot.run.canceled',
      'finetune-autopilot.run.notDeployed',
      'finetune-autopilot.run.rolledBack',
    ]);
  });

  it('publishes nothing for a run still running', () => {
    expect(runEvents(view('Running'))).toEqual([]);
  });

  it('the id is sha256(subject, type, status) shaped as a UUID', () => {
    expect(runEvents(view('Succeeded'))[0]?.id).toBe(
      expectedId(`runs/${RUN_ID}`, 'finetune-autopilot.run.succeeded', 'Succeeded'),
    );
  });

  it('the same run gives the same id however often it is built (a replay is a duplicate)', () => {
    expect(runEvents(view('Failed'))[0]?.id).toBe(runEvents(view('Failed'))[0]?.id);
  });

  it('the time is the latest step end, not the clock', () => {
    expect(runEvents(view('Succeeded'))[0]?.time).toBe('2026-12-01T10:09:00.000Z');
  });

  it('a view with no step ended has no time', () => {
    expect(runEndedAt(view('Canceled', { steps: [{ id: 'validate', status: 'skipped' }] }))).toBeUndefined();
  });

  it('the data is the run view with the reason', () => {
    const v = view('Failed', {
      step: 'checkCompute',
      error: { step: 'checkCompute', code: 'COMPUTE.NOT_FOUND', message: "compute 'gpu' does not exist" },
    });
    expect(runEvents(v)[0]?.data).toEqual({
      ...v,
      reason: "COMPUTE.NOT_FOUND at checkCompute: compute 'gpu' does not exist",
    });
  });

  it('a rolled-back run gives its rollout reason', () => {
    const rollout = {
      outcome: 'rolledBack',
      deployment: 'v3',
      reason: 'smoke test failed: HTTP 500',
    } as const;
    expect(runEvents(view('RolledBack', { rollout }))[0]?.data.reason).toBe('smoke test failed: HTTP 500');
  });

  it('a not-deployed run gives the gate step detail', () => {
    const v = view('NotDeployed', {
      steps: [
        { id: 'gate', status: 'failed', endedAt: '2026-12-01T10:04:00.000Z', detail: 'eval_loss 2.5 > 2' },
      ],
    });
    expect(runEvents(v)[0]?.data.reason).toBe('eval_loss 2.5 > 2');
  });
});

describe('withoutSecrets', () => {
  it('drops properties named like a credential, at any depth', () => {
    expect(
      withoutSecrets({
        endpoint: { name: 'e', primaryKey: 'k1', keys: ['a'] },
        token: 't',
        nested: [{ apiKey: 'x', ok: 1 }],
      }),
    ).toEqual({ endpoint: { name: 'e' }, nested: [{ ok: 1 }] });
  });

  it('keeps metric names that merely contain "token"', () => {
    expect(withoutSecrets({ metrics: { 'ft/train_tokens_per_second': 3 } })).toEqual({
      metrics: { 'ft/train_tokens_per_second': 3 },
    });
  });

  it('removes function-key and SAS query parameters from URLs and keeps the rest', () => {
    expect(
      withoutSecrets({
        a: 'https://app.azurewebsites.net/api/runs/x?code=abc&view=1',
        b: 'https://acct.blob.core.windows.net/c/b?sv=2024&sig=s3cr3t',
      }),
    ).toEqual({
      a: 'https://app.azurewebsites.net/api/runs/x?view=1',
      b: 'https://acct.blob.core.windows.net/c/b?sv=2024',
    });
  });

  it('removes a key from a URL inside an error message', () => {
    expect(withoutSecrets('GET https://app.azurewebsites.net/api/runs?code=abc failed: 500')).toBe(
      'GET https://app.azurewebsites.net/api/runs failed: 500',
    );
  });

  it('leaves a scoring URI without a query alone', () => {
    expect(withoutSecrets('https://e.eastus.inference.ml.azure.com/score')).toBe(
      'https://e.eastus.inference.ml.azure.com/score',
    );
  });

  it('a run view with a key in an error detail publishes it without the key', () => {
    const v = view('Failed', {
      error: {
        step: 'smokeTest',
        code: 'SCORING.UNAUTHORIZED',
        message: 'denied',
        details: { key: 'k', status: 401 },
      },
    });
    expect(runEvents(v)[0]?.data.error).toEqual({
      step: 'smokeTest',
      code: 'SCORING.UNAUTHORIZED',
      message: 'denied',
      details: { status: 401 },
    });
  });
});

const lineView: LineView = {
  line: 'chat',
  endpoint: {
    name: 'chat-1a2b3c4d',
    scoringUri: 'https://chat-1a2b3c4d.eastus.inference.ml.azure.com/score',
  },
  state: 'parked',
  traffic: {},
  parkedSince: '2026-12-01T12:00:00.000Z',
  history: [],
};
const parked: LineHistoryEntry = {
  at: '2026-12-01T12:00:00.000Z',
  action: 'parked',
  reason: 'no requests for 7200 s',
};

describe('lineEvents', () => {
  it('a park is line.parked for lines/<line> at the entry time', () => {
    const [event] = lineEvents(lineView, parked);
    expect([event?.type, event?.subject, event?.time]).toEqual([
      'finetune-autopilot.line.parked',
      'lines/chat',
      '2026-12-01T12:00:00.000Z',
    ]);
  });

  it('the data is the line view with the reason and the hourly cost saved', () => {
    expect(lineEvents(lineView, parked, { estimatedHourlyCostSavedUsd: 3.67 })[0]?.data).toEqual({
      ...lineView,
      reason: 'no requests for 7200 s',
      estimatedHourlyCostSavedUsd: 3.67,
    });
  });

  it('carries the run of a rollout', () => {
    const entry: LineHistoryEntry = {
      at: '2026-12-01T13:00:00.000Z',
      action: 'rolledOut',
      runId: RUN_ID,
      reason: 'smoke test passed',
    };
    const [event] = lineEvents({ ...lineView, state: 'serving' }, entry);
    expect([event?.type, event?.data.runId]).toEqual(['finetune-autopilot.line.rolledOut', RUN_ID]);
  });

  it('names woken and deleted', () => {
    const types = (['woken', 'deleted'] as const).map(
      (action) => lineEvents(lineView, { ...parked, action })[0]?.type,
    );
    expect(types).toEqual(['finetune-autopilot.line.woken', 'finetune-autopilot.line.deleted']);
  });

  it('publishes nothing for the other history actions', () => {
    const actions = ['created', 'rolledBack', 'superseded', 'wakeFailed', 'failed'] as const;
    expect(actions.flatMap((action) => lineEvents(lineView, { ...parked, action }))).toEqual([]);
  });

  it('parking again later is a new id; the same park is the same id', () => {
    const again = { ...parked, at: '2026-12-02T12:00:00.000Z' };
    const ids = [
      lineEvents(lineView, parked)[0]?.id,
      lineEvents(lineView, parked)[0]?.id,
      lineEvents(lineView, again)[0]?.id,
    ];
    expect([ids[0] === ids[1], ids[0] === ids[2]]).toEqual([true, false]);
  });
});

describe('teardownDeletedEvent', () => {
  const deletion = {
    endpoint: {
      name: 'ft-0123456789abcdef0123-ab12',
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ft-0123456789abcdef0123-ab12',
      createdAt: '2026-12-01T08:00:00.000Z',
    },
    runId: RUN_ID,
    reason: 'no requests in the last 7200 s',
    estimatedHourlyCostSavedUsd: 3.67,
    at: '2026-12-01T11:00:00.000Z',
  };

  it('is teardown.deleted for the run, at the sweep time, with the reason and the cost saved', () => {
    expect(teardownDeletedEvent(deletion)).toEqual({
      id: expectedId(
        `runs/${RUN_ID}`,
        'finetune-autopilot.teardown.deleted',
        `${deletion.endpoint.id}\n${deletion.endpoint.createdAt}`,
      ),
      type: 'finetune-autopilot.teardown.deleted',
      subject: `runs/${RUN_ID}`,
      time: '2026-12-01T11:00:00.000Z',
      data: {
        endpoint: deletion.endpoint,
        runId: RUN_ID,
        reason: 'no requests in the last 7200 s',
        estimatedHourlyCostSavedUsd: 3.67,
      },
    });
  });

  it("a line's endpoint is the line's subject", () => {
    expect(teardownDeletedEvent({ ...deletion, line: 'chat' }).subject).toBe('lines/chat');
  });

  it('a later sweep deleting the same endpoint sends the same id', () => {
    expect(teardownDeletedEvent({ ...deletion, at: '2026-12-01T12:00:00.000Z' }).id).toBe(
      teardownDeletedEvent(deletion).id,
    );
  });
});

describe('teardownEvents', () => {
  it("takes each started deletion's run, line, reason and hourly cost from the decision", () => {
    const endpoint = {
      name: 'chat-1a2b3c4d',
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/chat-1a2b3c4d',
      provisioningState: 'Succeeded',
      traffic: {},
      tags: { 'autopilot-run-id': RUN_ID, 'autopilot-line': 'chat' },
    };
    const [event] = teardownEvents(
      [{ endpoint, action: 'delete', reason: 'idle', hourlyCost: 3.67 }],
      '2026-12-01T11:00:00.000Z',
    );
    expect([event?.subject, event?.time, event?.data]).toEqual([
      'lines/chat',
      '2026-12-01T11:00:00.000Z',
      {
        endpoint: { name: 'chat-1a2b3c4d', id: endpoint.id },
        runId: RUN_ID,
        line: 'chat',
        reason: 'idle',
        estimatedHourlyCostSavedUsd: 3.67,
      },
    ]);
  });
});

describe('lifecycleEventId', () => {
  it('differs when only the transition differs', () => {
    const type = 'finetune-autopilot.line.parked';
    expect(lifecycleEventId('lines/a', type, '1') === lifecycleEventId('lines/a', type, '2')).toBe(false);
  });
});
