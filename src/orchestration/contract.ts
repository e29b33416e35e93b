// The one contract between the fine-tune orchestrator and its activities. Each activity is
// declared once, below, with its function name, input type and output type; from that one
// declaration come the orchestrator's calls (`run.call(Activity.submit, input)`, typed), the
// registrations in functions/fineTuneOrchestrator.ts (one loop over ACTIVITY_KEYS) and the type
// that createActivities (src/activities/index.ts) must satisfy. A missing activity, a wrong input
// or a wrong output is a compile error (test/orchestration/contract.test.ts proves it).
//
// Everything here crosses the durable history as JSON: plain data only.
import type { ComponentSpec } from '../domain/componentSpec.js';
import type { ErrorCode } from '../domain/errorCodes.js';
import type { DomainProblem, Result } from '../domain/errors.js';
import type { ModelLifecycle } from '../domain/modelLifecycle.js';
import type { FinishedJobStatus } from '../domain/jobStatus.js';
import type { LifecycleEvent } from '../domain/lifecycleEvents.js';
import type { JobStatus } from '../domain/resources.js';
import type { LineView, RolloutResult } from '../domain/line.js';
import type { DatasetRef, RunView } from '../domain/runView.js';

/** The settings the orchestrator needs; the starter copies them from config (the orchestrator reads no env). */
export interface OrchestrationSettings {
  readonly jobPollIntervalSeconds: number;
  readonly jobDeadlineSeconds: number;
  /** Deploy polling; absent = derived from jobPollIntervalSeconds (see deployTiming in fineTuneRun.ts). */
  readonly deployPollIntervalSeconds?: number;
  /** How long deploy may take before the run fails DEPLOY.TIMEOUT; absent = 90 min. */
  readonly deployDeadlineSeconds?: number;
  readonly gate?: { readonly metric: string; readonly max: number };
}

/** The orchestration input, built by src/runs/startRun.ts. */
export interface FineTuneInput {
  readonly runId: string;
  /** Full sha256 of the run identity: the endpoint name is derived from it. */
  readonly hash: string;
  readonly dataset: DatasetRef;
  /** A held-out test file found beside the dataset when the run started. */
  readonly testPath?: string;
  /** The REQUESTED overrides (finetune.json or the HTTP body), `{}` when none. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Why the dataset's finetune.json cannot be used: the run fails at validate with it. */
  readonly rejectedOverrides?: DomainProblem;
  readonly settings: OrchestrationSettings;
  /**
   * The serving line the model rolls out on (src/domain/line.ts). Absent in runs started before
   * lines existed: those deploy to an endpoint of their own, as they began.
   */
  readonly line?: {
    readonly id: string;
    readonly endpointName: string;
    readonly settings: LineSettings;
  };
}

/** Payload of the JobFinished external event raised by jobEvents. */
export interface JobFinishedEvent {
  readonly status: FinishedJobStatus;
}

/**
 * Every activity returns a Result: expected failures (bad dataset, compute rule, a 4xx from Azure)
 * are values the orchestrator records without retrying; activities THROW only for transient
 * faults, which callActivityWithRetry retries.
 */
export type ActivityResult<T> = Result<T>;

export interface ValidateInput {
  readonly runId: string;
  readonly dataset: DatasetRef;
  /** A held-out test file beside the dataset: read in the same pass. */
  readonly testPath?: string;
}
/**
 * What the one pass over the dataset wrote: the run's train.jsonl and test.jsonl, committed only
 * when every input was valid. `testRejected` holds the first findings of an invalid test file
 * (nothing was committed then); prepare reports it.
 */
export interface DatasetSplit {
  readonly trainPath: string;
  readonly testPath: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly testRejected?: readonly unknown[];
}
export interface ValidateOutput {
  readonly format: 'jsonl' | 'parquet';
  readonly rows: number;
  readonly validRows: number;
  readonly warnings: number;
  readonly reportPath: string;
  readonly split: DatasetSplit;
}

export interface PrepareInput {
  readonly runId: string;
  readonly dataset: DatasetRef;
  readonly testPath?: string;
  /** What validate's pass wrote: prepare reads nothing again. */
  readonly split: DatasetSplit;
}
export interface PrepareOutput {
  readonly trainPath: string;
  readonly testPath: string;
  readonly trainRows: number;
  readonly testRows: number;
}

/** Something that did not stop the step, for the run view's notes. */
export interface StepNote {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ResolveModelInput {
  /** The run's overrides: checked against the pinned component's declared inputs. */
  readonly overrides: Readonly<Record<string, unknown>>;
}
export interface ResolveModelOutput {
  readonly model: {
    readonly name: string;
    readonly version: string;
    readonly id: string;
    readonly source: string;
  };
  readonly lifecycle?: ModelLifecycle;
  /** The pinned component and its declared inputs (read from the registry). */
  readonly component: ComponentSpec;
  readonly finetuneAllowList?: readonly string[];
  readonly inferenceAllowList?: readonly string[];
  /** The model's defaults the component declares (the others are dropped, with a note). */
  readonly modelSpecificDefaults: Readonly<Record<string, string>>;
  readonly notes: readonly StepNote[];
}

export interface CheckComputeInput {
  readonly finetuneAllowList?: readonly string[];
  /** The model's defaults: they may set the node count the quota check sizes. */
  readonly modelSpecificDefaults: Readonly<Record<string, string>>;
  readonly overrides: Readonly<Record<string, unknown>>;
}
export interface CheckComputeOutput {
  readonly computeName: string;
  readonly vmSize: string;
  readonly gpusPerNode: number;
  readonly nodes: number;
  /** Checks that could not be made (e.g. no quota row matched), for the run view. */
  readonly notes?: readonly StepNote[];
}

export interface SubmitInput {
  readonly runId: string;
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly model: ResolveModelOutput;
  readonly compute: CheckComputeOutput;
  readonly trainPath: string;
  readonly testPath: string;
}
export interface SubmitOutput {
  readonly jobName: string;
  readonly displayName: string;
  /** False when the job already existed (a replayed or retried submit). */
  readonly created: boolean;
  /** Where the user finds the job's logs when it fails (Azure ML studio). */
  readonly studioUrl?: string;
}

export interface JobInput {
  readonly jobName: string;
}
export interface GetJobOutput {
  readonly status: JobStatus;
}
export interface CancelJobOutput {
  readonly canceled: boolean;
}

export type MetricsOutput = Readonly<Record<string, number>>;

export interface RegisterInput {
  readonly runId: string;
  readonly jobName: string;
}
export interface RegisterOutput {
  readonly name: string;
  readonly version: string;
  readonly id: string;
}

/** deploy, step 1: the endpoint, created unless it exists (its PUT returns before provisioning ends). */
export interface StartEndpointInput {
  readonly runId: string;
  readonly endpointName: string;
  readonly inferenceAllowList?: readonly string[];
}
export interface StartEndpointOutput {
  /** ARM provisioning state: Creating, Succeeded, ... */
  readonly provisioningState: string;
  /** False when the endpoint already existed (a retried or replayed start). */
  readonly created: boolean;
}

/** deploy, step 2 (once the endpoint Succeeded): the deployment, created unless it exists. */
export interface StartDeploymentInput {
  readonly runId: string;
  readonly endpointName: string;
  readonly modelId: string;
}
export interface StartDeploymentOutput {
  readonly deploymentName: string;
  readonly provisioningState: string;
  readonly created: boolean;
}

/** An endpoint of this run, named: the input of the deploy polls, traffic and cleanup. */
export interface RunEndpointInput {
  readonly runId: string;
  readonly endpointName: string;
}
/** deploy, polled on durable timers: provisioning states; Failed comes back as DEPLOY.FAILED. */
export interface DeploymentStateOutput {
  readonly endpoint: string;
  /** Absent until the deployment exists. */
  readonly deployment?: string;
}
/** deploy, last step (traffic 100% to the deployment): where the endpoint serves. */
export interface DeployOutput {
  readonly name: string;
  readonly scoringUri: string;
}

export interface SmokeTestInput {
  readonly runId: string;
  readonly endpointName: string;
  readonly scoringUri: string;
  readonly testPath: string;
}
export interface SmokeTestOutput {
  readonly input: unknown;
  readonly answer: string;
}

export interface CleanupOutput {
  readonly deleted: boolean;
}

export interface WriteSummaryInput {
  readonly view: RunView;
}
export interface WriteSummaryOutput {
  readonly path: string;
}

// ---- serving lines (src/orchestration/lineOrchestration.ts) ----------------------------------

/** The line settings the line orchestration needs (from config, copied in by whoever starts it). */
export interface LineSettings {
  /** Percent of traffic the new deployment takes during the bake; 0 = straight to 100 after the smoke test. */
  readonly canaryPercent: number;
  readonly bakeSeconds: number;
  /** How long the old deployment keeps existing (0% traffic) after the switch before it is deleted. */
  readonly drainSeconds: number;
  readonly compare: 'none' | 'metrics' | 'heldout';
  /** The metric the `metrics` comparison reads (lower is better), e.g. `eval_loss`. */
  readonly compareMetric: string;
  readonly pollSeconds: number;
  readonly deadlineSeconds: number;
  /** Estimated hourly price of the line's deployment (its instance type x count), when known: what a park saves. */
  readonly hourlyCostUsd?: number;
}

/** A new model for the line (sent by its run once the model is registered). */
export interface RolloutRequest {
  readonly kind: 'rollout';
  readonly runId: string;
  /** ARM id of the registered model version. */
  readonly modelId: string;
  /** `<name>:<version>`. */
  readonly modelLabel: string;
  readonly modelVersion: string;
  /** The run's held-out conversations: the smoke test (and the held-out comparison) scores them. */
  readonly testPath: string;
  readonly inferenceAllowList?: readonly string[];
  /** The run's final training metrics (the `metrics` comparison). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** An operator's or the teardown's request. `requestId` makes a redelivered request a no-op. */
export interface LineCommand {
  readonly kind: 'park' | 'wake' | 'delete';
  readonly requestId: string;
  readonly reason: string;
  /**
   * When the requester decided (the idle teardown's sweep time): a park decided before the line's
   * model last began serving is stale (the line served a new model since) and is dropped.
   */
  readonly decidedAt?: string;
}

export type LineRequest = RolloutRequest | LineCommand;

/** The line orchestration's input (and what it continues as new with). */
export interface LineInput {
  readonly line: string;
  readonly endpointName: string;
  readonly settings: LineSettings;
  readonly view?: LineView;
  /** Requests received and not yet processed, in arrival order. */
  readonly pending?: readonly LineRequest[];
  /** Recently finished rollouts by run id (a resent request is answered from here). */
  readonly outcomes?: Readonly<Record<string, RolloutResult>>;
  /** Recently processed command request ids (a redelivered command is dropped). */
  readonly handled?: readonly string[];
}

/** The line orchestration's customStatus: what GET /api/lines reads, and what a waiting run polls. */
export interface LineStatus {
  readonly view: LineView;
  /** What the line works on now (`rollout:<runId>`, `park`, ...). */
  readonly current?: string;
  readonly pending: readonly string[];
  readonly outcomes: Readonly<Record<string, RolloutResult>>;
}

export interface LineEndpointInput {
  readonly line: string;
  readonly endpointName: string;
}
export interface LineEnsureEndpointInput extends LineEndpointInput {
  readonly inferenceAllowList?: readonly string[];
}
export interface LineDeploymentLook {
  readonly name: string;
  readonly provisioningState: string;
  readonly model?: string;
}
/** One look at the line's endpoint: everything the line's waits decide on. */
export interface LineLook {
  readonly exists: boolean;
  readonly provisioningState?: string;
  readonly scoringUri?: string;
  readonly traffic: Readonly<Record<string, number>>;
  readonly deployments: readonly LineDeploymentLook[];
}
export interface LineLookInput extends LineEndpointInput {
  /** A deployment that ended Failed comes back as DEPLOY.FAILED with its container logs. */
  readonly watch?: string;
}
export interface LineDeploymentInput extends LineEndpointInput {
  readonly deploymentName: string;
}
export interface LineStartDeploymentInput extends LineDeploymentInput {
  readonly modelId: string;
  readonly inferenceAllowList?: readonly string[];
}
export interface LineTrafficInput extends LineEndpointInput {
  readonly traffic: Readonly<Record<string, number>>;
}
export interface LineTagsInput extends LineEndpointInput {
  /** null removes the tag (JSON has no undefined). */
  readonly tags: Readonly<Record<string, string | null>>;
}
export interface LineSmokeTestInput extends LineDeploymentInput {
  readonly testPath: string;
}
export interface LineHeldOutInput extends LineEndpointInput {
  readonly deployments: readonly string[];
  readonly testPath: string;
  readonly count: number;
}
export interface LineHeldOutOutput {
  readonly conversations: number;
  /** Deployment name -> conversations it answered. */
  readonly answered: Readonly<Record<string, number>>;
}
export interface LineDeletedOutput {
  readonly deleted: boolean;
}

/** Sent by a run to its line: starts the line's orchestration when it is not running. */
export interface RequestLineInput {
  readonly line: string;
  readonly endpointName: string;
  readonly settings: LineSettings;
  readonly request: LineRequest;
}
export interface RequestLineOutput {
  /** True when this call started the line's orchestration. */
  readonly started: boolean;
}
export interface ReadLineInput {
  readonly line: string;
}
/** The line's status, absent when the line has no orchestration (never started, or purged). */
export interface ReadLineOutput {
  readonly status?: LineStatus;
  readonly running: boolean;
}
export interface NotifyRunInput {
  readonly runId: string;
  readonly result: RolloutResult;
}
export interface NotifyRunOutput {
  /** False when the run no longer waits (ended, or unknown). */
  readonly delivered: boolean;
}

/** Lifecycle events to publish (built by src/domain/lifecycleEvents.ts; ids are deterministic). */
export interface PublishEventsInput {
  readonly events: readonly LifecycleEvent[];
}
export interface PublishEventsOutput {
  readonly published: number;
}

/** indexRun: the run's row in the run index (GET /api/runs), from its current view. */
export interface IndexRunInput {
  readonly view: RunView;
}
export interface IndexRunOutput {
  /** The start time the row keeps (its first write's). */
  readonly startedAt: string;
}

/** One activity: its registered function name, and (as phantom types) what it takes and returns. */
export interface ActivityDeclaration<I, O> {
  readonly name: string;
  /** Never set: carries the types only. */
  readonly types?: { readonly input: I; readonly output: O };
}

const declare = <I, O>(name: string): ActivityDeclaration<I, O> => ({ name });

/**
 * Every activity of the fine-tune run. The function names are part of the durable history of
 * runs in flight: renaming one needs a new task hub or drained runs.
 */
export const Activity = {
  validate: declare<ValidateInput, ValidateOutput>('fineTuneValidate'),
  prepare: declare<PrepareInput, PrepareOutput>('fineTunePrepare'),
  resolveModel: declare<ResolveModelInput, ResolveModelOutput>('fineTuneResolveModel'),
  checkCompute: declare<CheckComputeInput, CheckComputeOutput>('fineTuneCheckCompute'),
  submit: declare<SubmitInput, SubmitOutput>('fineTuneSubmit'),
  getJob: declare<JobInput, GetJobOutput>('fineTuneGetJob'),
  cancelJob: declare<JobInput, CancelJobOutput>('fineTuneCancelJob'),
  metrics: declare<JobInput, MetricsOutput>('fineTuneMetrics'),
  register: declare<RegisterInput, RegisterOutput>('fineTuneRegister'),
  startEndpoint: declare<StartEndpointInput, StartEndpointOutput>('fineTuneStartEndpoint'),
  startDeployment: declare<StartDeploymentInput, StartDeploymentOutput>('fineTuneStartDeployment'),
  getDeploymentState: declare<RunEndpointInput, DeploymentStateOutput>('fineTuneGetDeploymentState'),
  setTraffic: declare<RunEndpointInput, DeployOutput>('fineTuneSetTraffic'),
  smokeTest: declare<SmokeTestInput, SmokeTestOutput>('fineTuneSmokeTest'),
  cleanup: declare<RunEndpointInput, CleanupOutput>('fineTuneCleanup'),
  writeSummary: declare<WriteSummaryInput, WriteSummaryOutput>('fineTuneWriteSummary'),
  // Serving lines: the line orchestration's own steps (src/activities/line.ts).
  lineEnsureEndpoint: declare<LineEnsureEndpointInput, LineLook>('lineEnsureEndpoint'),
  lineLook: declare<LineLookInput, LineLook>('lineLook'),
  lineStartDeployment: declare<LineStartDeploymentInput, LineDeploymentLook>('lineStartDeployment'),
  lineSetTraffic: declare<LineTrafficInput, LineLook>('lineSetTraffic'),
  lineSetTags: declare<LineTagsInput, LineLook>('lineSetTags'),
  lineSmokeTest: declare<LineSmokeTestInput, SmokeTestOutput>('lineSmokeTest'),
  lineHeldOut: declare<LineHeldOutInput, LineHeldOutOutput>('lineHeldOut'),
  lineDeleteDeployment: declare<LineDeploymentInput, LineDeletedOutput>('lineDeleteDeployment'),
  lineDeleteEndpoint: declare<LineEndpointInput, LineDeletedOutput>('lineDeleteEndpoint'),
  publishEvents: declare<PublishEventsInput, PublishEventsOutput>('fineTunePublishEvents'),
  indexRun: declare<IndexRunInput, IndexRunOutput>('fineTuneIndexRun'),
} as const;

/**
 * Activities that talk to other orchestration instances (a run and its line), so they need the
 * durable client binding (functions/fineTuneOrchestrator.ts registers them with it); built per
 * invocation by createClientActivities (src/runs/lineMessaging.ts).
 */
export const ClientActivity = {
  requestLine: declare<RequestLineInput, RequestLineOutput>('lineRequest'),
  readLine: declare<ReadLineInput, ReadLineOutput>('lineRead'),
  notifyRun: declare<NotifyRunInput, NotifyRunOutput>('lineNotifyRun'),
} as const;
export type ClientActivityKey = keyof typeof ClientActivity;
export type ClientActivityImplementations = {
  readonly [K in ClientActivityKey]: (
    input: InputOf<(typeof ClientActivity)[K]>,
  ) => Promise<ActivityResult<OutputOf<(typeof ClientActivity)[K]>>>;
};
export const CLIENT_ACTIVITY_KEYS = Object.keys(ClientActivity) as readonly ClientActivityKey[];

/** invokeActivity for the client activities. */
export function invokeClientActivity<K extends ClientActivityKey>(
  implementations: ClientActivityImplementations,
  key: K,
  input: unknown,
): Promise<ActivityResult<OutputOf<(typeof ClientActivity)[K]>>> {
  const implementation = implementations[key] as (
    input: unknown,
  ) => Promise<ActivityResult<OutputOf<(typeof ClientActivity)[K]>>>;
  return implementation(input);
}

export type ActivityKey = keyof typeof Activity;
export type ActivityInput<K extends ActivityKey> =
  (typeof Activity)[K] extends ActivityDeclaration<infer I, unknown> ? I : never;
export type ActivityOutput<K extends ActivityKey> =
  (typeof Activity)[K] extends ActivityDeclaration<unknown, infer O> ? O : never;
/** The input/output types of a declaration, for code that holds a declaration rather than a key. */
export type InputOf<D> = D extends ActivityDeclaration<infer I, unknown> ? I : never;
export type OutputOf<D> = D extends ActivityDeclaration<unknown, infer O> ? O : never;

/** What createActivities must build: one function per declared activity, with its exact types. */
export type ActivityImplementations = {
  readonly [K in ActivityKey]: (input: ActivityInput<K>) => Promise<ActivityResult<ActivityOutput<K>>>;
};

export const ACTIVITY_KEYS = Object.keys(Activity) as readonly ActivityKey[];

/**
 * Runs the implementation of activity `key` on an input that arrived through the durable
 * history. The history is JSON the orchestrator wrote from a typed call, so the input is of the
 * declared type; this is the one place that says so.
 */
export function invokeActivity<K extends ActivityKey>(
  implementations: ActivityImplementations,
  key: K,
  input: unknown,
): Promise<ActivityResult<ActivityOutput<K>>> {
  const implementation = implementations[key] as (
    input: unknown,
  ) => Promise<ActivityResult<ActivityOutput<K>>>;
  return implementation(input);
}
