// writeSummary (src/activities/summary.ts): the run view beside the run's other blobs.
import { describe, expect, it } from 'vitest';
import { useActivityStack } from './support.js';

const stack = useActivityStack();

describe('writeSummary', () => {
  it('writes runs/<id>/summary.json', async () => {
    const runId = 'ft-summary0000000000000';
    const view = { runId, status: 'Succeeded' } as never;
    expect(await stack.activities.writeSummary({ view })).toEqual({
      ok: true,
      value: { path: `runs/${runId}/summary.json` },
    });
    expect(JSON.parse(await stack.readBlob(`runs/${runId}/summary.json`))).toEqual({
      runId,
      status: 'Succeeded',
    });
  });
});
