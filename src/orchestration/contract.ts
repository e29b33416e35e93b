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
import type { JobStatus } from '../domain/resources.js';
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
  indexRun: declare<IndexRunInput, IndexRunOutput>('fineTuneIndexRun'),
} as const;

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
