// The port's one rule of its own: which runs are still in progress (the real DurableClient adapter
// is tested in test/adapters/durableRunInstances.test.ts).
import { describe, expect, it } from 'vitest';
import { activeRunIds } from '../../src/runs/runInstances.js';
import { RecordingRunInstances } from './support.js';

describe('activeRunIds', () => {
  it('is the ids of the runs that are Running, Pending, ContinuedAsNew or Suspended', async () => {
    const runs = new RecordingRunInstances();
    for (const [instanceId, runtimeStatus] of [
      ['ft-running', 'Running'],
      ['ft-pending', 'Pending'],
      ['ft-continued', 'ContinuedAsNew'],
      ['ft-suspended', 'Suspended'],
      ['ft-completed', 'Completed'],
      ['ft-failed', 'Failed'],
      ['ft-terminated', 'Terminated'],
    ] as const) {
      runs.add({ instanceId, runtimeStatus });
    }
    expect(await activeRunIds(runs)).toEqual(
      new Set(['ft-running', 'ft-pending', 'ft-continued', 'ft-suspended']),
    );
  });
});
