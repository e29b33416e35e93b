// functions/fineTuneOrchestrator.ts: the orchestration and one activity per declared activity,
// under the names the durable history of runs in flight depends on.
import { beforeAll, describe, expect, it } from 'vitest';
import { captureRegistrations, type Registration } from './support.js';

let registered: Map<string, Registration>;

beforeAll(async () => {
  registered = await captureRegistrations(() => import('../../functions/fineTuneOrchestrator.js'));
});

describe('fineTuneOrchestrator', () => {
  it('registers the orchestration under fineTuneOrchestrator', () => {
    expect(registered.get('fineTuneOrchestrator')?.options.trigger?.type).toBe('orchestrationTrigger');
  });

  it('registers every activity of the contract, each with an activity trigger', () => {
    const activities = [...registered.entries()]
      .filter(([, r]) => r.options.trigger?.type === 'activityTrigger')
      .map(([name]) => name)
      .sort();
    expect(activities).toEqual([
      'fineTuneCancelJob',
      'fineTuneCheckCompute',
      'fineTuneCleanup',
      'fineTuneGetDeploymentState',
      'fineTuneGetJob',
      'fineTuneIndexRun',
      'fineTuneMetrics',
      'fineTunePrepare',
      'fineTuneRegister',
      'fineTuneResolveModel',
      'fineTuneSetTraffic',
      'fineTuneSmokeTest',
      'fineTuneStartDeployment',
      'fineTuneStartEndpoint',
      'fineTuneSubmit',
      'fineTuneValidate',
      'fineTuneWriteSummary',
    ]);
  });

  it('registers nothing else', () => {
    expect(registered.size).toBe(18);
  });
});
