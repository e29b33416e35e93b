import { describe, expect, it } from 'vitest';
import { isTerminalJobStatus, jobFinished, normalizeJobStatus } from '../../src/domain/jobStatus.js';

describe('job status', () => {
  it('treats Completed, Failed and Canceled as finished and nothing else', () => {
    expect(['Completed', 'Failed', 'Canceled'].map(isTerminalJobStatus)).toEqual([true, true, true]);
    expect(
      ['Running', 'CancelRequested', 'Finalizing', 'NotResponding', 'completed'].map(isTerminalJobStatus),
    ).toEqual([false, false, false, false, false]);
  });

  it('gives the finished status or undefined', () => {
    expect(jobFinished('Failed')).toBe('Failed');
    expect(jobFinished('Queued')).toBeUndefined();
  });

  it("normalizes case and the British 'Cancelled'", () => {
    expect(['completed', 'FAILED', 'Cancelled', 'Running'].map(normalizeJobStatus)).toEqual([
      'Completed',
      'Failed',
      'Canceled',
      'Running',
    ]);
  });
});
