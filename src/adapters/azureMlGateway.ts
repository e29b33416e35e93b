// The Azure ML control plane (ARM) for the configured workspace, over the real SDK client.
// Every call goes through the client's own pipeline: bearer token, retries, TLS trust.
import {
  AzureMachineLearningWorkspaces,
  type ComputeResource,
  type JobBase,
  type ModelVersion,
  type OnlineDeployment,
  type OnlineEndpoint,
  type Usage,
} from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { AzureMlGateway } from '../domain/ports.js';
import type {
  ComputeInfo,
  DeploymentInfo,
  DeploymentSpec,
  EndpointInfo,
  EndpointSpec,
  JobInfo,
  JobStatus,
  ModelVersionInfo,
  ModelVersionSpec,
  PipelineJobRequest,
  UsageInfo,
  VmSizeInfo,
} from '../domain/resources.js';
import type { AzureMlSettings } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { httpError, isNotFound, parseErrorBody, retryAfterSeconds, toServiceError } from './errors.js';
import { addTransportPolicies, armScope, type TransportOptions } from './http.js';

/** The ARM api-version the SDK speaks (and the raw job PUT uses, so both match). */
export const ARM_API_VERSION = '2022-10-01';

/** How often long-running operations are polled when the service gives no Retry-After (it usually does). */
const DEFAULT_LRO_POLL_INTERVAL_MS = 5_000;

/** Container whose logs explain a failed deployment (the scoring server, not the model mount). */
const LOG_CONTAINER = 'InferenceServer';
const DEFAULT_LOG_TAIL_LINES = 200;

export interface AzureMlGatewayOptions {
  readonly settings: Pick<
    AzureMlSettings,
    'subscriptionId' | 'resourceGroup' | 'workspace' | 'location' | 'armEndpoint'
  >;
  readonly credential: TokenCredential;
  readonly transport: TransportOptions;
  readonly lroPollIntervalInMs?: number;
}

type Workspace = Pick<
  AzureMlSettings,
  'subscriptionId' | 'resourceGroup' | 'workspace' | 'location' | 'armEndpoint'
>;

export class AzureMlArmGateway implements AzureMlGateway {
  private readonly client: AzureMachineLearningWorkspaces;
  private readonly ws: Workspace;
  private readonly rg: string;
  private readonly name: string;
  private readonly lro: { updateIntervalInMs: number };

  constructor(options: AzureMlGatewayOptions) {
    this.ws = options.settings;
    this.rg = options.settings.resourceGroup;
    this.name = options.settings.workspace;
    this.lro = { updateIntervalInMs: options.lroPollIntervalInMs ?? DEFAULT_LRO_POLL_INTERVAL_MS };
    const endpoint = this.ws.armEndpoint.replace(/\/+$/, '');
    this.client = new AzureMachineLearningWorkspaces(options.credential, this.ws.subscriptionId, {
      endpoint,
      credentialScopes: armScope(endpoint),
      retryOptions: options.transport.retryOptions,
      ...(options.transport.tlsOptions !== undefined && { tlsOptions: options.transport.tlsOptions }),
    });
    addTransportPolicies(this.client.pipeline, options.transport);
  }

  getCompute(name: string): Promise<ComputeInfo | undefined> {
    return this.getOrUndefined(`GET compute ${name}`, async () =>
      toComputeInfo(await this.client.computeOperations.get(this.rg, this.name, name), name),
    );
  }

  listVmSizes(): Promise<VmSizeInfo[]> {
    return this.call(`GET VM sizes in ${this.ws.location}`, async () => {
      const result = await this.client.virtualMachineSizes.list(this.ws.location);
      return (result.value ?? []).flatMap((size) =>
        size.name === undefined
          ? []
          : [{ name: size.name, gpus: size.gpus ?? 0, vCPUs: size.vCPUs ?? 0, family: size.family ?? '' }],
      );
    });
  }

  /** The region's usages as the service names them, without the rows of other workspaces. */
  listUsages(): Promise<UsageInfo[]> {
    return this.call(`GET usages in ${this.ws.location}`, async () => {
      const usages: UsageInfo[] = [];
      for await (const usage of this.client.usages.list(this.ws.location)) {
        const info = toUsageInfo(usage, this.name);
        if (info !== undefined) usages.push(info);
      }
      return usages;
    });
  }

  getJob(name: string): Promise<JobInfo | undefined> {
    return this.getOrUndefined(`GET job ${name}`, async () =>
      toJobInfo(await this.client.jobs.get(this.rg, this.name, name), name),
    );
  }

  /**
   * PUT jobs/{name} with the domain's body as it is. The SDK's serializer would drop `uri`/`mode`
   * of top-level asset inputs (2.1.1 bug) and reshape free-form keys, so the body is sent raw
   * through the client's own pipeline (auth, retries and TLS still apply).
   */
  async createJob(name: string, request: PipelineJobRequest): Promise<JobInfo> {
    const url = `${this.workspaceUrl()}/jobs/${encodeURIComponent(name)}?api-version=${ARM_API_VERSION}`;
    const body = (await this.put(`PUT job ${name}`, url, request)) as JobBase | undefined;
    return toJobInfo(body ?? { properties: {} as JobBase['properties'] }, name);
  }

  /**
   * One PUT through the client's own pipeline (auth, retries, TLS), body sent as it is; answers
   * the parsed response body. 200/201 only: for a long-running create that means ARM accepted it
   * (the body carries provisioningState); nothing polls the operation afterwards.
   */
  private async put(operation: string, url: string, body: unknown): Promise<unknown> {
    const pipelineRequest = createPipelineRequest({
      url,
      method: 'PUT',
      headers: createHttpHeaders({
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json',
      }),
      body: JSON.stringify(body),
    });
    let response: PipelineResponse;
    try {
      response = await this.client.sendRequest(pipelineRequest);
    } catch (error) {
      throw toServiceError('AZUREML', operation, error);
    }
    const { status } = response;
    const text = response.bodyAsText ?? undefined;
    if (status !== 200 && status !== 201) {
      throw httpError(
        'AZUREML',
        operation,
        status,
        parseErrorBody(text),
        retryAfterSeconds(response.headers),
      );
    }
    return text === undefined || text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  cancelJob(name: string): Promise<void> {
    return this.call(`cancel job ${name}`, () =>
      this.client.jobs.beginCancelAndWait(this.rg, this.name, name, this.lro),
    );
  }

  getMlflowTrackingUri(): Promise<string> {
    return this.call(`GET workspace ${this.name}`, async () => {
      const workspace = await this.client.workspaces.get(this.rg, this.name);
      if (workspace.mlFlowTrackingUri === undefined || workspace.mlFlowTrackingUri === '') {
        throw new DomainError(
          'AZUREML.NO_MLFLOW',
          `workspace ${this.name} reports no mlFlowTrackingUri, so its run metrics cannot be read`,
        );
      }
      return workspace.mlFlowTrackingUri;
    });
  }

  getModelVersion(name: string, version: string): Promise<ModelVersionInfo | undefined> {
    return this.getOrUndefined(`GET model ${name}:${version}`, async () =>
      toModelVersionInfo(
        await this.client.modelVersions.get(this.rg, this.name, name, version),
        name,
        version,
      ),
    );
  }

  createModelVersion(spec: ModelVersionSpec): Promise<ModelVersionInfo> {
    return this.call(`PUT model ${spec.name}:${spec.version}`, async () => {
      const body = { properties: spec.properties } as unknown as ModelVersion;
      const result = await this.client.modelVersions.createOrUpdate(
        this.rg,
        this.name,
        spec.name,
        spec.version,
        body,
      );
      return toModelVersionInfo(result, spec.name, spec.version);
    });
  }

  getEndpoint(name: string): Promise<EndpointInfo | undefined> {
    return this.getOrUndefined(`GET endpoint ${name}`, async () =>
      toEndpointInfo(await this.client.onlineEndpoints.get(this.rg, this.name, name), name),
    );
  }

  listEndpoints(tags?: Readonly<Record<string, string>>): Promise<EndpointInfo[]> {
    const filter = Object.entries(tags ?? {});
    return this.call('list endpoints', async () => {
      const endpoints: EndpointInfo[] = [];
      const options = filter.length > 0 ? { tags: filter.map(([k, v]) => `${k}=${v}`).join(',') } : {};
      for await (const endpoint of this.client.onlineEndpoints.list(this.rg, this.name, options)) {
        const info = toEndpointInfo(endpoint, endpoint.name ?? '');
        // The server filters too; checking again keeps "owned by us" true even if one did not.
        if (filter.every(([k, v]) => info.tags[k] === v)) endpoints.push(info);
      }
      return endpoints;
    });
  }

  createEndpoint(spec: EndpointSpec): Promise<EndpointInfo> {
    return this.call(`PUT endpoint ${spec.name}`, async () => {
      const body = {
        location: spec.location,
        tags: spec.tags,
        ...(spec.identity !== undefined && { identity: spec.identity }),
        properties: spec.properties,
      } as unknown as OnlineEndpoint;
      const result = await this.client.onlineEndpoints.beginCreateOrUpdateAndWait(
        this.rg,
        this.name,
        spec.name,
        body,
        this.lro,
      );
      return toEndpointInfo(result, spec.name);
    });
  }

  /**
   * PUT the endpoint and return as soon as ARM accepted it (201/200), without polling the
   * operation: the orchestrator polls getEndpoint on durable timers instead of holding a worker.
   * Sent raw (not through the SDK serializer), so the domain's body goes on the wire as it is.
   */
  async beginCreateEndpoint(spec: EndpointSpec): Promise<EndpointInfo> {
    const url = `${this.workspaceUrl()}/onlineEndpoints/${encodeURIComponent(spec.name)}?api-version=${ARM_API_VERSION}`;
    const body = {
      location: spec.location,
      tags: spec.tags,
      ...(spec.identity !== undefined && { identity: spec.identity }),
      properties: spec.properties,
    };
    const answer = (await this.put(`PUT endpoint ${spec.name}`, url, body)) as OnlineEndpoint | undefined;
    return toEndpointInfo({ properties: {}, ...answer } as OnlineEndpoint, spec.name);
  }

  getDeployment(endpointName: string, name: string): Promise<DeploymentInfo | undefined> {
    return this.getOrUndefined(`GET deployment ${endpointName}/${name}`, async () =>
      toDeploymentInfo(await this.client.onlineDeployments.get(this.rg, this.name, endpointName, name), name),
    );
  }

  createDeployment(spec: DeploymentSpec): Promise<DeploymentInfo> {
    return this.call(`PUT deployment ${spec.endpointName}/${spec.name}`, async () => {
      const body = {
        location: spec.location,
        sku: spec.sku,
        ...(spec.tags !== undefined && { tags: spec.tags }),
        properties: spec.properties,
      } as unknown as OnlineDeployment;
      const result = await this.client.onlineDeployments.beginCreateOrUpdateAndWait(
        this.rg,
        this.name,
        spec.endpointName,
        spec.name,
        body,
        this.lro,
      );
      return toDeploymentInfo(result, spec.name);
    });
  }

  /** PUT the deployment and return once ARM accepted it, without polling (see beginCreateEndpoint). */
  async beginCreateDeployment(spec: DeploymentSpec): Promise<DeploymentInfo> {
    const url =
      `${this.workspaceUrl()}/onlineEndpoints/${encodeURIComponent(spec.endpointName)}` +
      `/deployments/${encodeURIComponent(spec.name)}?api-version=${ARM_API_VERSION}`;
    const body = {
      location: spec.location,
      sku: spec.sku,
      ...(spec.tags !== undefined && { tags: spec.tags }),
      properties: spec.properties,
    };
    const answer = (await this.put(`PUT deployment ${spec.endpointName}/${spec.name}`, url, body)) as
      OnlineDeployment | undefined;
    return toDeploymentInfo({ properties: {}, ...answer } as OnlineDeployment, spec.name);
  }

  setTraffic(endpointName: string, traffic: Readonly<Record<string, number>>): Promise<EndpointInfo> {
    return this.call(`set traffic of endpoint ${endpointName}`, async () => {
      // PATCH carries only tags/identity: traffic changes need the whole endpoint PUT back.
      const current = await this.client.onlineEndpoints.get(this.rg, this.name, endpointName);
      const updated: OnlineEndpoint = {
        ...current,
        properties: { ...current.properties, traffic: { ...traffic } },
      };
      const result = await this.client.onlineEndpoints.beginCreateOrUpdateAndWait(
        this.rg,
        this.name,
        endpointName,
        updated,
        this.lro,
      );
      return toEndpointInfo(result, endpointName);
    });
  }

  /** GET the endpoint, merge `tags` (undefined removes a tag), PUT it back (waits: a short update). */
  setEndpointTags(
    endpointName: string,
    tags: Readonly<Record<string, string | undefined>>,
  ): Promise<EndpointInfo> {
    return this.call(`set tags of endpoint ${endpointName}`, async () => {
      const current = await this.client.onlineEndpoints.get(this.rg, this.name, endpointName);
      const merged: Record<string, string> = { ...(current.tags ?? {}) };
      for (const [key, value] of Object.entries(tags)) {
        if (value === undefined) delete merged[key];
        else merged[key] = value;
      }
      const result = await this.client.onlineEndpoints.beginCreateOrUpdateAndWait(
        this.rg,
        this.name,
        endpointName,
        { ...current, tags: merged },
        this.lro,
      );
      return toEndpointInfo(result, endpointName);
    });
  }

  listDeployments(endpointName: string): Promise<DeploymentInfo[]> {
    return this.call(`list deployments of endpoint ${endpointName}`, async () => {
      const deployments: DeploymentInfo[] = [];
      for await (const d of this.client.onlineDeployments.list(this.rg, this.name, endpointName))
        deployments.push(toDeploymentInfo(d, d.name ?? ''));
      return deployments;
    });
  }

  async beginDeleteDeployment(endpointName: string, name: string): Promise<void> {
    try {
      await this.client.onlineDeployments.beginDelete(this.rg, this.name, endpointName, name, this.lro);
    } catch (error) {
      if (isNotFound(error)) return;
      throw toServiceError('AZUREML', `DELETE deployment ${endpointName}/${name}`, error);
    }
  }

  async deleteEndpoint(name: string): Promise<void> {
    try {
      await this.client.onlineEndpoints.beginDeleteAndWait(this.rg, this.name, name, this.lro);
    } catch (error) {
      if (isNotFound(error)) return; // already gone: deleting is idempotent
      throw toServiceError('AZUREML', `DELETE endpoint ${name}`, error);
    }
  }

  async beginDeleteEndpoint(name: string): Promise<void> {
    try {
      // The poller's first request is the DELETE itself; not polling leaves ARM to finish it.
      await this.client.onlineEndpoints.beginDelete(this.rg, this.name, name, this.lro);
    } catch (error) {
      if (isNotFound(error)) return;
      throw toServiceError('AZUREML', `DELETE endpoint ${name}`, error);
    }
  }

  getEndpointKey(name: string): Promise<string> {
    return this.call(`list keys of endpoint ${name}`, async () => {
      const keys = await this.client.onlineEndpoints.listKeys(this.rg, this.name, name);
      if (keys.primaryKey === undefined) throw new Error(`endpoint ${name} returned no primary key`);
      return keys.primaryKey;
    });
  }

  getDeploymentLogs(
    endpointName: string,
    deploymentName: string,
    tailLines = DEFAULT_LOG_TAIL_LINES,
  ): Promise<string> {
    return this.call(`get logs of deployment ${endpointName}/${deploymentName}`, async () => {
      const logs = await this.client.onlineDeployments.getLogs(
        this.rg,
        this.name,
        endpointName,
        deploymentName,
        {
          containerType: LOG_CONTAINER,
          tail: tailLines,
        },
      );
      return logs.content ?? '';
    });
  }

  private workspaceUrl(): string {
    const base = this.ws.armEndpoint.replace(/\/+$/, '');
    return (
      `${base}/subscriptions/${encodeURIComponent(this.ws.subscriptionId)}` +
      `/resourceGroups/${encodeURIComponent(this.rg)}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(this.name)}`
    );
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toServiceError('AZUREML', operation, error);
    }
  }

  private async getOrUndefined<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toServiceError('AZUREML', operation, error);
    }
  }
}

const JOB_STATUSES: ReadonlySet<string> = new Set<JobStatus>([
  'NotStarted',
  'Starting',
  'Provisioning',
  'Preparing',
  'Queued',
  'Running',
  'Finalizing',
  'CancelRequested',
  'Completed',
  'Failed',
  'Canceled',
  'NotResponding',
  'Paused',
  'Unknown',
]);

function toJobStatus(status: string | undefined): JobStatus {
  return status !== undefined && JOB_STATUSES.has(status) ? (status as JobStatus) : 'Unknown';
}

function toJobInfo(job: JobBase, name: string): JobInfo {
  const properties = job.properties as
    | {
        status?: string;
        displayName?: string;
        tags?: Record<string, string>;
        services?: Record<string, { endpoint?: string } | undefined>;
      }
    | undefined;
  const studioUrl = properties?.services?.Studio?.endpoint;
  return {
    name: job.name ?? name,
    status: toJobStatus(properties?.status),
    ...(properties?.displayName !== undefined && { displayName: properties.displayName }),
    tags: { ...(properties?.tags ?? {}) },
    ...(studioUrl !== undefined && studioUrl !== '' && { studioUrl }),
  };
}

const COMPUTE_USAGE = /\/workspaces\/([^/]+)\/computes\/([^/]+)\/usages\//i;
const WORKSPACE_USAGE = /\/workspaces\/([^/]+)\/usages\//i;

/**
 * A usage row in the domain's terms. The scope comes from the row's id: the official example
 * (test/fixtures/azure/machinelearningservices/usages.list.json) spells the `type` of one scope
 * two ways (`workspaces/usages` and `workspace/usages`), but the ids are regular. Rows of another
 * workspace are dropped (undefined); a row without a name is named after its id's last segment.
 */
export function toUsageInfo(usage: Usage, workspace: string): UsageInfo | undefined {
  const id = usage.id ?? '';
  const name = usage.name?.value ?? (/\/usages\/([^/]+)$/.exec(id)?.[1] ?? '').replace(/_/g, ' ');
  if (name === '') return undefined;
  const counts = { currentValue: usage.currentValue ?? 0, limit: usage.limit ?? 0 };
  const sameWorkspace = (ws: string | undefined) => ws?.toLowerCase() === workspace.toLowerCase();
  const compute = COMPUTE_USAGE.exec(id);
  if (compute !== null) {
    return sameWorkspace(compute[1])
      ? { name, scope: 'compute', compute: compute[2] ?? '', ...counts }
      : undefined;
  }
  const ws = WORKSPACE_USAGE.exec(id);
  if (ws !== null) return sameWorkspace(ws[1]) ? { name, scope: 'workspace', ...counts } : undefined;
  return { name, scope: 'subscription', ...counts };
}

function toComputeInfo(compute: ComputeResource, name: string): ComputeInfo {
  const properties = compute.properties as
    | {
        computeType?: string;
        provisioningState?: string;
        provisioningErrors?: { error?: { message?: string } }[];
        properties?: {
          vmSize?: string;
          vmPriority?: string;
          scaleSettings?: { maxNodeCount?: number };
        };
      }
    | undefined;
  const vmSize = properties?.properties?.vmSize;
  const vmPriority = properties?.properties?.vmPriority;
  const maxNodes = properties?.properties?.scaleSettings?.maxNodeCount;
  const provisioningErrors = (properties?.provisioningErrors ?? []).flatMap((e) =>
    e.error?.message === undefined || e.error.message === '' ? [] : [e.error.message],
  );
  return {
    name: compute.name ?? name,
    provisioningState: properties?.provisioningState ?? 'Unknown',
    computeType: properties?.computeType ?? 'Unknown',
    ...(vmSize !== undefined && { vmSize }),
    ...(maxNodes !== undefined && { maxNodes }),
    ...(typeof vmPriority === 'string' && { vmPriority }),
    ...(provisioningErrors.length > 0 && { provisioningErrors }),
  };
}

function toModelVersionInfo(model: ModelVersion, name: string, version: string): ModelVersionInfo {
  const id = model.id ?? '';
  return { name, version: model.name ?? version, id };
}

function toEndpointInfo(endpoint: OnlineEndpoint, name: string): EndpointInfo {
  const createdAt = endpoint.systemData?.createdAt;
  const scoringUri = endpoint.properties.scoringUri;
  return {
    name: endpoint.name ?? name,
    id: endpoint.id ?? '',
    provisioningState: endpoint.properties.provisioningState ?? 'Unknown',
    ...(scoringUri !== undefined && { scoringUri }),
    tags: { ...(endpoint.tags ?? {}) },
    traffic: { ...(endpoint.properties.traffic ?? {}) },
    ...(createdAt !== undefined && { createdAt: new Date(createdAt).toISOString() }),
  };
}

function toDeploymentInfo(deployment: OnlineDeployment, name: string): DeploymentInfo {
  const properties = deployment.properties as {
    provisioningState?: string;
    instanceType?: string;
    model?: string;
  };
  const instanceCount = deployment.sku?.capacity;
  return {
    name: deployment.name ?? name,
    provisioningState: properties.provisioningState ?? 'Unknown',
    ...(properties.model !== undefined && { model: properties.model }),
    ...(properties.instanceType !== undefined && { instanceType: properties.instanceType }),
    ...(instanceCount !== undefined && { instanceCount }),
  };
}
