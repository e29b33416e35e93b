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
      'fineTunePublishEvents',
      'fineTuneRegister',
      'fineTuneResolveModel',
      'fineTuneSetTraffic',
      'fineTuneSmokeTest',
      'fineTuneStartDeployment',
      'fineTuneStartEndpoint',
      'fineTuneSubmit',
      'fineTuneValidate',
      'fineTuneWriteSummary',
      'lineDeleteDeployment',
      'lineDeleteEndpoint',
      'lineEnsureEndpoint',
      'lineHeldOut',
      'lineLook',
      'lineNotifyRun',
      'lineRead',
      'lineRequest',
      'lineSetTags',
      'lineSetTraffic',
      'lineSmokeTest',
      'lineStartDeployment',
    ]);
  });

  it('registers the client activities with the durable client input', () => {
    for (const name of ['lineNotifyRun', 'lineRead', 'lineRequest']) {
      const inputs = registered.get(name)?.options.extraInputs;
      expect(inputs?.map((i) => i.type)).toEqual(['durableClient']);
    }
  });

  it('registers nothing else: the two orchestrations and 30 activities', () => {
    expect(registered.size).toBe(32);
  });
});
