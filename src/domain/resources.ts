// Values the Azure ML control plane, the registry, Azure Monitor, scoring and Blob Storage hand
// back, and the request bodies the domain builds: plain data in the domain's own terms (no SDK
// type). The interfaces over them (the ports) are in ./ports.ts.

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
  /** ARM id (or azureml:name:version) of the model it serves. */
  readonly model?: string;
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

export interface RequestCountBucket {
  readonly timeStamp: string;
  /** Missing buckets (no data) come back undefined rather than 0. */
  readonly total: number | undefined;
}

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface BlobInfo {
  readonly path: string;
  /** Unquoted. */
  readonly etag: string;
  readonly contentLength: number;
}
