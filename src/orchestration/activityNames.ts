// Activity function names, declared once: the orchestrator schedules them by these names and
// functions/fineTuneOrchestrator.ts registers them under the same names.

export const ActivityName = {
  validate: 'fineTuneValidate',
  prepare: 'fineTunePrepare',
  resolveModel: 'fineTuneResolveModel',
  checkCompute: 'fineTuneCheckCompute',
  submit: 'fineTuneSubmit',
  getJob: 'fineTuneGetJob',
  cancelJob: 'fineTuneCancelJob',
  metrics: 'fineTuneMetrics',
  register: 'fineTuneRegister',
  startEndpoint: 'fineTuneStartEndpoint',
  startDeployment: 'fineTuneStartDeployment',
  getDeploymentState: 'fineTuneGetDeploymentState',
  setTraffic: 'fineTuneSetTraffic',
  smokeTest: 'fineTuneSmokeTest',
  cleanup: 'fineTuneCleanup',
  writeSummary: 'fineTuneWriteSummary',
} as const;
export type ActivityName = (typeof ActivityName)[keyof typeof ActivityName];
