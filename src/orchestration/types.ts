// What crosses the orchestrator/activity boundary (serialized as JSON into the durable history).
// Plain data only: every shape here must survive JSON.stringify/parse unchanged.
import type { DomainProblem, Result } from '../domain/errors.js';
import type { JobStatus } from '../domain/ports.js';
import type { DatasetRef, RunView } from '../domain/run/view.js';

/** The settings the orchestrator needs; the starter copies them from config (the orchestrator reads no env). */
/** Codes of the failures activities return (declared here so the orchestrator can name them too). */
export const ActivityCode = {
  datasetInvalid: 'DATASET.INVALID',
  datasetChanged: 'DATASET.CHANGED',
  testSetEmpty: 'DATASET.NO_TEST_CONVERSATION',
  jobNotFound: 'JOB.NOT_FOUND',
  deployFailed: 'DEPLOY.FAILED',
  endpointNotOwned: 'DEPLOY.ENDPOINT_NOT_OWNED',
  endpointNotReady: 'DEPLOY.ENDPOINT_NOT_READY',
  noScoringUri: 'DEPLOY.NO_SCORING_URI',
} as const;

export interface OrchestrationSettings {
  readonly jobPollIntervalSeconds: number;
  readonly jobDeadlineSeconds: number;
  /** Deploy polling; absent = derived from jobPollIntervalSeconds (see deployTiming in fineTune.ts). */
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

/**
 * Every activity returns a Result: expected failures (bad dataset, compute rule, a 4xx from Azure)
 * are values the orchestrator records without retrying; activities THROW only for transient faults,
 * which callActivityWithRetry retries.
 */
export type ActivityResult<T> = Result<T>;

export interface ValidateInput {
  readonly runId: string;
  readonly dataset: DatasetRef;
}
export interface ValidateOutput {
  readonly format: 'jsonl' | 'parquet';
  readonly rows: number;
  readonly validRows: number;
  readonly warnings: number;
  readonly reportPath: string;
}

export interface PrepareInput {
  readonly runId: string;
  readonly dataset: DatasetRef;
  readonly testPath?: string;
}
export interface PrepareOutput {
  readonly trainPath: string;
  readonly testPath: string;
  readonly trainRows: number;
  readonly testRows: number;
}

export interface ResolveModelOutput {
  readonly model: {
    readonly name: string;
    readonly version: string;
    readonly id: string;
    readonly source: string;
  };
  readonly finetuneAllowList?: readonly string[];
  readonly inferenceAllowList?: readonly string[];
  readonly modelSpecificDefaults: Readonly<Record<string, string>>;
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

/** deploy, polled on durable timers: provisioning states; Failed comes back as DEPLOY.FAILED. */
export interface DeploymentStateInput {
  readonly runId: string;
  readonly endpointName: string;
}
export interface DeploymentStateOutput {
  readonly endpoint: string;
  /** Absent until the deployment exists. */
  readonly deployment?: string;
}

/** deploy, last step: traffic 100% to the deployment. */
export interface SetTrafficInput {
  readonly runId: string;
  readonly endpointName: string;
}
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

export interface CleanupInput {
  readonly runId: string;
  readonly endpointName: string;
}
export interface CleanupOutput {
  readonly deleted: boolean;
}

export interface WriteSummaryInput {
  readonly view: RunView;
}

/** Payload of the JobFinished external event raised by jobEvents. */
export interface JobFinishedEvent {
  readonly status: JobStatus;
}
