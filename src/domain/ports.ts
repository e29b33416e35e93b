// Ports: what the domain and the activities need from the outside world, in the domain's own
// terms. src/adapters/ implements them over the real Azure SDKs; nothing here knows an SDK type.
import type { ComponentSpec } from './componentSpec.js';
import type { LifecycleEvent } from './lifecycleEvents.js';
import type {
  DatasetInput,
  PrepareResult,
  StagedSink,
  TextSink,
  ValidateAndPrepareOptions,
} from './dataset/types.js';
import type {
  ComputeInfo,
  VmSizeInfo,
  UsageInfo,
  BaseModelInfo,
  JobInfo,
  ModelVersionInfo,
  EndpointInfo,
  DeploymentInfo,
  PipelineJobRequest,
  ModelVersionSpec,
  EndpointSpec,
  DeploymentSpec,
  RequestCountBucket,
  ChatMessage,
  BlobInfo,
} from './resources.js';
import type { RunIndexPage, RunIndexQuery, RunSummary } from './runIndex.js';

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
  /** GET, merge the tags (an undefined value removes the tag), PUT back; waits for the short update. */
  setEndpointTags(
    endpointName: string,
    tags: Readonly<Record<string, string | undefined>>,
  ): Promise<EndpointInfo>;
  listDeployments(endpointName: string): Promise<DeploymentInfo[]>;
  /** Starts deleting a deployment (ARM refuses one that still has traffic); absent is a no-op. */
  beginDeleteDeployment(endpointName: string, name: string): Promise<void>;
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

/** One logged value of a metric (MLflow's Metric, without the key). */
export interface MetricPoint {
  readonly step: number;
  readonly value: number;
  /** Milliseconds since the epoch, as MLflow records it. */
  readonly timestamp: number;
}

/** MLflow: the per-step history of a pipeline job's metrics (the dashboard's loss curves). */
export interface MetricHistorySource {
  /**
   * Every logged value of each of `keys` in every (nested) child run that logged it, keyed
   * `<child run name>/<metric key>` like getJobMetrics, in step order. A job MLflow does not know
   * has none.
   */
  getJobMetricHistory(jobName: string, keys: readonly string[]): Promise<Record<string, MetricPoint[]>>;
}

/** Azure Monitor: RequestsPerMinute of an endpoint. */
export interface EndpointMetrics {
  /** `abortSignal` ends the read (and its retries) early: the sweep's time budget and circuit breaker. */
  requestsPerMinute(
    endpointResourceId: string,
    from: Date,
    to: Date,
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<RequestCountBucket[]>;
}

export interface ScoringClient {
  /**
   * POSTs a chat request to the endpoint and returns the model's answer text. With `deployment`,
   * the request goes to that deployment whatever the traffic split (the `azureml-model-deployment`
   * header), so a new deployment is tested before it takes traffic.
   */
  score(
    scoringUri: string,
    key: string,
    messages: readonly ChatMessage[],
    deployment?: string,
  ): Promise<string>;
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

/**
 * Lifecycle events out (an Event Grid topic, CloudEvents 1.0): the adapter adds `source` and
 * `specversion`. Throws ServiceUnavailableError on a transient fault (callers retry) and
 * DomainError when the topic refuses the events; a no-op when no topic is configured.
 */
export interface LifecycleEvents {
  publish(events: readonly LifecycleEvent[]): Promise<void>;
}

/**
 * The run index (Azure Table Storage): one summary row per run, listed newest first one page at a
 * time (src/domain/runIndex.ts has the keys). Faults throw; a token it did not hand out is refused
 * by the caller before (decodeRunCursor).
 */
export interface RunIndex {
  /**
   * Creates or merges the run's row. The row's start time is the one its first write gave:
   * `summary.startedAt` is used only when the run has no row yet. With `onlyIfAbsent`, an
   * existing row is left as it is (the starter's write never overwrites the orchestration's).
   */
  put(
    summary: RunSummary,
    options?: { readonly onlyIfAbsent?: boolean; readonly abortSignal?: AbortSignal },
  ): Promise<RunSummary>;
  /** One page, newest first, filtered by the table (server-side). */
  list(query: RunIndexQuery): Promise<RunIndexPage>;
}

/** A static file the app serves (the dashboard's page, script and styles). */
export interface StaticAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** The dashboard's files, built into dist/dashboard by `npm run build`. */
export interface StaticAssetSource {
  /** The file of that name (one path segment), or undefined when there is none. */
  get(name: string): Promise<StaticAsset | undefined>;
}
