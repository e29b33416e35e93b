// Names that cross process boundaries, declared once: Azure Function names (they appear in webhook
// URLs and event subscriptions), durable external events, and the tags that mark what this app owns.

export const FunctionName = {
  datasetUploaded: 'datasetUploaded',
  runsApi: 'runsApi',
  jobEvents: 'jobEvents',
  idleEndpointTeardown: 'idleEndpointTeardown',
  fineTuneOrchestrator: 'fineTuneOrchestrator',
  lineOrchestrator: 'lineOrchestrator',
  linesApi: 'linesApi',
  /** The operators' page (GET /api/dashboard, anonymous: it holds no data). */
  dashboard: 'dashboard',
} as const;
export type FunctionName = (typeof FunctionName)[keyof typeof FunctionName];

/** Event Grid event types each Event Grid-triggered function handles (the infra subscriptions must match). */
export const HandledEventTypes = {
  [FunctionName.datasetUploaded]: ['Microsoft.Storage.BlobCreated'],
  [FunctionName.jobEvents]: [
    'Microsoft.MachineLearningServices.RunCompleted',
    'Microsoft.MachineLearningServices.RunStatusChanged',
  ],
} as const satisfies Partial<Record<FunctionName, readonly string[]>>;

/** Durable external events raised on a run's orchestration instance. */
export const ExternalEvent = {
  jobFinished: 'JobFinished',
  cancelRequested: 'CancelRequested',
  /** On a line's instance: a Rollout, Park, Wake or Delete request (src/orchestration/lineContract.ts). */
  lineRequest: 'LineRequest',
  /** On a run's instance: its line's answer to the run's Rollout request. */
  rolloutFinished: 'RolloutFinished',
} as const;

/** Tags on Azure ML jobs, models and endpoints that this app creates. */
export const Tag = {
  /** The run id (= durable instance id = job name) that created the resource. */
  runId: 'autopilot-run-id',
  /** Ownership marker: the teardown timer only ever touches endpoints carrying it. */
  owner: 'autopilot-owner',
  /** `true` keeps an owned endpoint alive whatever its traffic. */
  keep: 'autopilot-keep',
  /** On a line's endpoint: the line id it serves. */
  line: 'autopilot-line',
  /** On a line's endpoint: the ARM id of the champion model (what a wake redeploys). */
  champion: 'autopilot-champion',
  /** On a line's endpoint: the champion's deployment name. */
  championDeployment: 'autopilot-champion-deployment',
  /** On a line's endpoint: when its current model started serving (the idle grace counts from it). */
  servingSince: 'autopilot-serving-since',
  /** On a parked line's endpoint: when it was parked (ISO 8601). */
  parkedSince: 'autopilot-parked-since',
} as const;

export const OWNER_TAG_VALUE = 'finetune-autopilot';
