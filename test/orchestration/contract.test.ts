// The activity contract holds the seams: the orchestrator's calls, the registrations and
// createActivities all derive from one declaration. The @ts-expect-error lines below are the
// proof: `npm run lint` (tsc over test/) fails if any of them stops being an error, i.e. if the
// contract stops catching a missing activity or a wrong input/output type.
import { describe, expect, it } from 'vitest';
import type {
  ActivityImplementations,
  ActivityInput,
  ActivityOutput,
} from '../../src/orchestration/contract.js';
import { ACTIVITY_KEYS, Activity, invokeActivity } from '../../src/orchestration/contract.js';
import { ok } from '../../src/domain/errors.js';

type Impl = ActivityImplementations;

// An implementation set missing an activity does not compile.
// @ts-expect-error -- property 'writeSummary' is missing
const missing: Impl = {
  ...({} as Omit<Impl, 'writeSummary'>),
};

// An activity returning the wrong output does not compile.
const wrongOutput: Pick<Impl, 'getJob'> = {
  // @ts-expect-error -- getJob returns {status}, not {state}
  getJob: () => Promise.resolve(ok({ state: 'Completed' })),
};

// An activity taking the wrong input does not compile.
const wrongInput: Pick<Impl, 'cancelJob'> = {
  // @ts-expect-error -- cancelJob takes {jobName: string}
  cancelJob: (input: { jobName: number }) => Promise.resolve(ok({ canceled: input.jobName > 0 })),
};

// The orchestrator's view of an activity's types comes from the same declaration.
// @ts-expect-error -- submit's input has no `job` member
const badSubmitInput: ActivityInput<'submit'> = { job: 'x' };
const badValidateOutput: ActivityOutput<'validate'> = {
  format: 'jsonl',
  // @ts-expect-error -- validate's output rows is a number
  rows: '1',
  validRows: 1,
  warnings: 0,
  reportPath: '',
};

void [missing, wrongOutput, wrongInput, badSubmitInput, badValidateOutput];

describe('the activity contract', () => {
  it('declares every activity once, with a unique function name', () => {
    const names = ACTIVITY_KEYS.map((key) => Activity[key].name);
    expect(new Set(names).size).toBe(27);
    expect(names).toContain('fineTuneIndexRun');
    expect(names).toContain('fineTuneSubmit');
    expect(names).toContain('fineTuneWriteSummary');
  });

  it('invokeActivity runs the implementation declared under the key, with the input as given', async () => {
    const seen: unknown[] = [];
    const implementations = Object.fromEntries(
      ACTIVITY_KEYS.map((key) => [
        key,
        (input: unknown) => (seen.push([key, input]), Promise.resolve(ok(key))),
      ]),
    ) as unknown as Impl;
    const result = await invokeActivity(implementations, 'getJob', { jobName: 'ft-1' });
    expect(result).toEqual({ ok: true, value: 'getJob' });
    expect(seen).toEqual([['getJob', { jobName: 'ft-1' }]]);
  });
});
