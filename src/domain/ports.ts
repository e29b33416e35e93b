// Ports: what the domain and the activities need from the outside world, in the domain's own
// terms. src/adapters/ implements them over the real Azure SDKs; nothing here knows an SDK type.
import type { ComponentSpec } from './componentSpec.js';
import type {
  DatasetInput,
  PrepareResult,
  StagedSink,
  TextSink,
  ValidateAndPrepareOptions,
} from './dataset/types.js';

export interface ComputeInfo {
  readonly name: string;
  /** ARM provisioning state: Succeeded, Failed, Creating, ... */
  readonly provisioningState: string;
  readonly computeType: string;
  readonly vmSize?: string;
  readonly maxNodes?: number;
  /** AmlCompute `properties.properties.vmPriority`: `Dedicated` or `LowPriority` (quota is counted apart). */
  readonly vmPriority?: string;
  /** What Azure ML says went wrong when provisioning failed (provisioningErrors[].error.message). */
  readonly provisioningErrors?: readonly string[];
}

export interface VmSizeInfo {
  readonly name: string;
  readonly gpus: number;
  readonly vCPUs: number;
  /** Quota family, e.g. `standardNCSv3Family`. */
  readonly family: string;
}

/** Where a usage row's limit applies (read from its ARM id: `.../usages/...` under each). */
export type UsageScope = 'subscription' | 'workspace' | 'compute';

/**
 * One row of `usages.list(location)`, in the service's naming: `name` like `Standard NC Family
 * Cluster Dedicated vCPUs` (not the VM size's `family` string). Rows of other workspaces are not
 * reported; `compute` names the cluster of a compute-scope row.
 */
export interface UsageInfo {
  readonly name: string;
  readonly scope: UsageScope;
  readonly compute?: string;
  /** Cores in use. */
  readonly currentValue: number;
  /** Cores allowed; -1 = no limit. */
  readonly limit: number;
}

export interface BaseModelInfo {
  readonly name: string;
  readonly version: string;
  /** Job input form: `azureml://registries/<registry>/models/<name>/versions/<version>`. */
  readonly id: string;
  /** Raw registry tags (Python-literal strings for lists and dicts). */
  readonly tags: Readonly<Record<string, string>>;
  /** The model's own properties (e.g. finetune-recommended-sku), where newer specs keep allow lists. */
  readonly properties?: Readonly<Record<string, string>>;
  /** The registry marks the version archived (isArchived, or stage Archived). */
  readonly archived?: boolean;
  readonly source: 'registry' | 'fallback';
}

export type JobStatus =
  | 'NotStarted'
  | 'Starting'
  | 'Provisioning'
  | 'Preparing'
  | 'Queued'
  | 'Running'
  | 'Finalizing'
  | 'CancelRequested'
  | 'Completed'
  | 'Failed'
  | 'Canceled'
  | 'NotResponding'
  | 'Paused'
  | 'Unknown';

export interface JobInfo {
  readonly name: string;
  readonly status: JobStatus;
  readonly displayName?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The job's page in Azure ML studio (properties.services.Studio.endpoint): logs, outputs. */
  readonly studioUrl?: string;
}

export interface ModelVersionInfo {
  readonly name: string;
  readonly version: string;
  /** ARM resource id of the model version (what a deployment references). */
  readonly id: string;
}

export interface EndpointInfo {
  readonly name: string;
  /** ARM resource id, the scope of its metrics. */
  readonly id: string;
  readonly provisioningState: string;
  readonly scoringUri?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly traffic: Readonly<Record<string, number>>;
  /** ISO time the endpoint was created (systemData.createdAt). */
  readonly createdAt?: string;
}

export interface DeploymentInfo {
  readonly name: string;
  readonly provisioningState: string;
  readonly instanceType?: string;
  readonly instanceCount?: number;
}

/** The exact request bodies the domain builds; adapters put them on the wire as they are. */
export interface PipelineJobRequest {
  readonly properties: Readonly<Record<string, unknown>>;
}
export interface ModelVersionSpec {
  readonly name: string;
  readonly version: string;
  readonly properties: Readonly<Record<string, unknown>>;
}
export interface EndpointSpec {
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly identity?: Readonly<Record<string, unknown>>;
}
export interface DeploymentSpec {
  readonly endpointName: string;
  readonly name: string;
  readonly location: string;
  readonly sku: { readonly name: string; readonly capacity: number };
  readonly tags?: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** Azure ML control plane (ARM) for the configured workspace. Absent resources are `undefined`, not errors. */
export interface AzureMlGateway {
  getCompute(name: string): Promise<ComputeInfo | undefined>;
  listVmSizes(): Promise<VmSizeInfo[]>;
  listUsages(): Promise<UsageInfo[]>;
  getJob(name: string): Promise<JobInfo | undefined>;
  /** PUT jobs/{name} with the body exactly as given (works around the SDK 2.1.1 serialization bug). */
  createJob(name: string, request: PipelineJobRequest): Promise<JobInfo>;
  /** Requests cancellation and waits for the long-running operation. */
  cancelJob(name: string): Promise<void>;
  getMlflowTrackingUri(): Promise<string>;
  getModelVersion(name: string, version: string): Promise<ModelVersionInfo | undefined>;
  createModelVersion(spec: ModelVersionSpec): Promise<ModelVersionInfo>;
  getEndpoint(name: string): Promise<EndpointInfo | undefined>;
  /** Lists endpoints, optionally only those carrying all the given tags. */
  listEndpoints(tags?: Readonly<Record<string, string>>): Promise<EndpointInfo[]>;
  /** Creates and waits for the long-running operation (tools and tests; activities use beginCreateEndpoint). */
  createEndpoint(spec: EndpointSpec): Promise<EndpointInfo>;
  /**
   * Sends the PUT and returns once ARM accepted it, without waiting for provisioning (10-20 min
   * for a deployment): callers poll getEndpoint's provisioningState.
   */
  beginCreateEndpoint(spec: EndpointSpec): Promise<EndpointInfo>;
  getDeployment(endpointName: string, name: string): Promise<DeploymentInfo | undefined>;
  /** Creates and waits for the long-running operation (tools and tests; activities use beginCreateDeployment). */
  createDeployment(spec: DeploymentSpec): Promise<DeploymentInfo>;
  /** Sends the PUT and returns once ARM accepted it; callers poll getDeployment's provisioningState. */
  beginCreateDeployment(spec: DeploymentSpec): Promise<DeploymentInfo>;
  /** GET the endpoint, set `properties.traffic`, PUT it back (PATCH carries only tags/identity). */
  setTraffic(endpointName: string, traffic: Readonly<Record<string, number>>): Promise<EndpointInfo>;
  /** Deletes and waits; deleting an absent endpoint is a no-op. */
  deleteEndpoint(name: string): Promise<void>;
  /**
   * Starts the deletion and returns once ARM accepted it, without waiting (minutes per endpoint):
   * the next listing shows it Deleting or gone. Deleting an absent endpoint is a no-op.
   */
  beginDeleteEndpoint(name: string): Promise<void>;
  getEndpointKey(name: string): Promise<string>;
  getDeploymentLogs(endpointName: string, deploymentName: string, tailLines?: number): Promise<string>;
}

/** The base model in the registry, or the configured fallback when the lookup is unreachable. */
export interface ModelCatalog {
  getLatest(name: string): Promise<BaseModelInfo>;
  /** A pinned component version's spec (its declared inputs); REGISTRY.NOT_FOUND / COMPONENT.NOT_FOUND when absent. */
  getComponent(name: string, version: string): Promise<ComponentSpec>;
}

/** MLflow: metrics of a pipeline job's child runs (the notebook's "review the metrics" step). */
export interface RunMetricsSource {
  /** Final value of every metric of every (nested) child run, keyed `<child run name>/<metric key>`. */
  getJobMetrics(jobName: string): Promise<Record<string, number>>;
}

export interface RequestCountBucket {
  readonly timeStamp: string;
  /** Missing buckets (no data) come back undefined rather than 0. */
  readonly total: number | undefined;
}

/** Azure Monitor: RequestsPerMinute of an endpoint. */
export interface EndpointMetrics {
  requestsPerMinute(endpointResourceId: string, from: Date, to: Date): Promise<RequestCountBucket[]>;
}

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface ScoringClient {
  /** POSTs a chat request to the endpoint and returns the model's answer text. */
  score(scoringUri: string, key: string, messages: readonly ChatMessage[]): Promise<string>;
}

export interface BlobInfo {
  readonly path: string;
  /** Unquoted. */
  readonly etag: string;
  readonly contentLength: number;
}

/** The training container. Paths are relative to it. */
export interface BlobStore {
  getInfo(path: string): Promise<BlobInfo | undefined>;
  /** A dataset blob as a streaming input (and random access for Parquet). */
  openDataset(path: string): Promise<DatasetInput & { readonly info: BlobInfo }>;
  readText(path: string): Promise<string | undefined>;
  writeText(path: string, text: string, contentType?: string): Promise<void>;
  /** Streams text into a block blob; nothing is visible under `path` until close(). */
  openWriter(path: string, contentType?: string): TextSink;
  /** Stages text as uncommitted blocks; the blob changes only on commit() (validateAndPrepareDataset's sinks). */
  openStagedWriter(path: string, contentType?: string): StagedSink;
  list(prefix: string): Promise<BlobInfo[]>;
}

/** The dataset gate over opened inputs (src/adapters/dataset.ts: JSONL and Parquet). */
export interface DatasetProcessor {
  /**
   * One pass: validates the train input (and the test input, if any), samples and splits into the
   * staged sinks, committing them only when every input is valid (aborting otherwise). A bad
   * dataset is a report with valid=false; only I/O failures throw.
   */
  validateAndPrepare(
    inputs: { readonly train: DatasetInput; readonly test?: DatasetInput },
    options: ValidateAndPrepareOptions,
    sinks: { readonly train: StagedSink; readonly test: StagedSink },
  ): Promise<PrepareResult>;
}
