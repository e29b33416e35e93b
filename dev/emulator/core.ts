// The emulator's engine: state, clock, resource ids, long-running operations and the job event pump.
// Route handlers (arm.ts, data.ts, admin.ts) read and change the world only through this object.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorConfig } from './config.js';
import type { EventGridEvent } from './events.js';
import { COMPONENT_FACTS } from './facts.js';
import { EventDelivery } from './events.js';
import { Faults, type OperationName } from './faults.js';
import { ArmError, type Reply } from './http.js';
import { jobTimelines, stableGuid, type RunTimeline, type Transition } from './jobs.js';
import type { ServedComponentVersion } from './pipeline.js';
import { saveState, type JobRecord, type OperationKind, type OperationRecord, type State } from './state.js';

export const ARM_API_VERSIONS = ['2022-10-01'] as const;
// Microsoft.Insights metrics: 2024-02-01 is what @azure/arm-monitor 8.x sends (Azure/azure-rest-api-specs
// specification/monitor/resource-manager/Microsoft.Insights/Insights/stable/2024-02-01/metrics_API.json).
export const MONITOR_API_VERSIONS = [
  '2018-01-01',
  '2019-07-01',
  '2021-05-01',
  '2023-10-01',
  '2024-02-01',
] as const;
export const REGISTRY_API_VERSIONS = ['2021-10-01-dataplanepreview'] as const;

export const RUN_STATUS_CHANGED = 'Microsoft.MachineLearningServices.RunStatusChanged';
export const RUN_COMPLETED = 'Microsoft.MachineLearningServices.RunCompleted';

export interface RouteContext {
  core: Core;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export type Scope = 'workspace' | 'location' | 'none';

export interface Route {
  method: string;
  pattern: RegExp;
  operation?: OperationName;
  /** `arm`: bearer token; `none`: admin API; `key`: endpoint key (checked by the handler). */
  auth: 'arm' | 'none' | 'key';
  apiVersions?: readonly string[];
  /** Which leading path parameters must name the emulated subscription/resource group/workspace/location. */
  scope: Scope;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

export class Core {
  readonly faults: Faults;
  readonly delivery: EventDelivery;
  /** `https://host:port`, known once the server listens. */
  baseUrl = '';

  constructor(
    readonly config: EmulatorConfig,
    readonly state: State,
    private readonly stateFile: string | undefined,
    readonly log: (line: string) => void,
  ) {
    this.faults = new Faults(state);
    this.delivery = new EventDelivery(
      state,
      config.delivery,
      this.faults,
      this.workspaceId,
      (name, code) =>
        `${this.baseUrl}/_emulator/subscriptions/${encodeURIComponent(name)}/validate?code=${code}`,
      log,
      () => this.persist(),
    );
  }

  now(): number {
    return Date.now();
  }

  /** The time lifecycle dates are compared with: the configured lifecycleDate, else the real clock. */
  lifecycleNow(): number {
    const date = this.config.lifecycleDate;
    return date === undefined ? this.now() : Date.parse(date);
  }

  /** The registry component versions this emulator serves (recorded facts), and what `latest` is. */
  servedComponents(): Record<string, { versions: Record<string, ServedComponentVersion>; latest: string }> {
    const served: Record<string, { versions: Record<string, ServedComponentVersion>; latest: string }> = {};
    for (const seed of this.config.registry.components) {
      if (seed.name !== COMPONENT_FACTS.name) continue;
      const versions: Record<string, ServedComponentVersion> = {};
      for (const version of seed.versions) {
        const facts = COMPONENT_FACTS.versions[version];
        if (facts) versions[version] = { ...facts, name: seed.name, version };
      }
      const latest = Object.values(versions).sort(
        (a, b) => Date.parse(b.committedAt) - Date.parse(a.committedAt),
      )[0];
      if (latest) served[seed.name] = { versions, latest: latest.version };
    }
    return served;
  }

  get workspaceId(): string {
    const c = this.config;
    return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.workspace}`;
  }

  get host(): string {
    return new URL(this.baseUrl).host;
  }

  get mlflowTrackingUri(): string {
    return `azureml://${this.host}/mlflow/v1.0${this.workspaceId}`;
  }

  systemData(createdAt: number, modifiedAt = createdAt): Record<string, string> {
    return {
      createdAt: new Date(createdAt).toISOString(),
      createdBy: 'emulator@autopilot.local',
      createdByType: 'User',
      lastModifiedAt: new Date(modifiedAt).toISOString(),
      lastModifiedBy: 'emulator@autopilot.local',
      lastModifiedByType: 'User',
    };
  }

  persist(): void {
    try {
      saveState(this.stateFile, this.state);
    } catch (error) {
      this.log(`could not save state to ${this.stateFile}: ${(error as Error).message}`);
    }
  }

  // ---- long-running operations -------------------------------------------------------------

  startOperation(
    kind: OperationKind,
    target: Pick<OperationRecord, 'endpoint' | 'deployment' | 'job'>,
    failure?: OperationRecord['failure'],
    seconds = this.state.clock.lroSeconds,
  ): OperationRecord {
    const now = this.now();
    const op: OperationRecord = {
      id: randomUUID(),
      kind,
      ...target,
      startedAt: now,
      doneAt: now + seconds * 1000,
      status: 'InProgress',
      ...(failure ? { failure } : {}),
    };
    this.state.operations[op.id] = op;
    this.inProgress().add(op);
    return op;
  }

  private locationPath(): string {
    return `/subscriptions/${this.config.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${this.config.location}`;
  }

  operationStatusUrl(op: OperationRecord): string {
    return `${this.baseUrl}${this.locationPath()}/mfeOperationsStatus/${op.id}?api-version=${ARM_API_VERSIONS[0]}`;
  }

  operationResultUrl(op: OperationRecord): string {
    return `${this.baseUrl}${this.locationPath()}/mfeOperationResults/${op.id}?api-version=${ARM_API_VERSIONS[0]}`;
  }

  /** Retry-After for polls: omitted for sub-second simulated clocks so the client's own interval applies. */
  retryAfterHeader(): Record<string, string> {
    const seconds = this.state.clock.lroSeconds;
    return seconds < 1 ? {} : { 'retry-after': String(Math.min(30, Math.max(1, Math.ceil(seconds / 4)))) };
  }

  /** Headers of a 201/200 PUT that continues asynchronously (Azure-AsyncOperation, as the service sends). */
  asyncOperationHeaders(op: OperationRecord): Record<string, string> {
    return {
      'azure-asyncoperation': this.operationStatusUrl(op),
      'x-ms-async-operation-timeout': 'PT1H',
      ...this.retryAfterHeader(),
    };
  }

  /** Headers of a 202 DELETE/POST that continues asynchronously (Location, as the service sends). */
  locationHeaders(op: OperationRecord): Record<string, string> {
    return {
      location: this.operationResultUrl(op),
      'x-ms-async-operation-timeout': 'PT1H',
      ...this.retryAfterHeader(),
    };
  }

  // ---- the pump: finishes due operations and emits job events ----------------------------------

  /**
   * The operations still in progress, kept apart: advance() runs on every request, and walking
   * every operation ever started made each request cost O(operations) (1 ms at 3,000).
   */
  private pending: Set<OperationRecord> | undefined;

  private inProgress(): Set<OperationRecord> {
    this.pending ??= new Set(Object.values(this.state.operations).filter((op) => op.status === 'InProgress'));
    return this.pending;
  }

  advance(): void {
    const now = this.now();
    let changed = false;
    for (const op of this.inProgress()) {
      if (op.doneAt <= now) {
        this.inProgress().delete(op);
        this.finishOperation(op);
        changed = true;
      }
    }
    const events: { at: number; order: number; event: EventGridEvent }[] = [];
    for (const job of Object.values(this.state.jobs)) {
      for (const run of jobTimelines(job)) {
        const done = job.emitted[run.runId] ?? 0;
        const due = run.transitions.filter((t) => t.at <= now);
        if (due.length <= done) continue;
        for (const t of due.slice(done)) events.push(...this.runEvents(job, run, t));
        job.emitted[run.runId] = due.length;
        changed = true;
      }
    }
    if (events.length > 0) {
      // A step finishes before its pipeline: at equal times, step runs go first.
      events.sort((a, b) => a.at - b.at || a.order - b.order);
      this.delivery.publish(events.map((e) => e.event));
    }
    if (changed) this.persist();
  }

  private finishOperation(op: OperationRecord): void {
    op.status = op.failure ? 'Failed' : 'Succeeded';
    const endpoint = op.endpoint === undefined ? undefined : this.state.endpoints[op.endpoint];
    const deploymentKey =
      op.endpoint !== undefined && op.deployment !== undefined
        ? `${op.endpoint}/${op.deployment}`
        : undefined;
    const deployment = deploymentKey === undefined ? undefined : this.state.deployments[deploymentKey];
    switch (op.kind) {
      case 'endpointPut':
        if (endpoint) endpoint.provisioningState = op.failure ? 'Failed' : 'Succeeded';
        break;
      case 'deploymentPut':
        if (deployment) {
          deployment.provisioningState = op.failure ? 'Failed' : 'Succeeded';
          if (op.failure) deployment.failureReason = op.failure.message;
        }
        break;
      case 'endpointDelete':
        if (op.failure) {
          if (endpoint) endpoint.provisioningState = 'Failed';
        } else if (op.endpoint !== undefined) {
          delete this.state.endpoints[op.endpoint];
          for (const key of Object.keys(this.state.deployments))
            if (key.startsWith(`${op.endpoint}/`)) delete this.state.deployments[key];
        }
        break;
      case 'deploymentDelete':
        if (op.failure) {
          if (deployment) deployment.provisioningState = 'Failed';
        } else if (deploymentKey !== undefined) delete this.state.deployments[deploymentKey];
        break;
      case 'jobCancel':
        break;
    }
  }

  experimentId(experimentName: string): string {
    return stableGuid(`experiment/${experimentName}`);
  }

  private runEvents(
    job: JobRecord,
    run: RunTimeline,
    t: Transition,
  ): { at: number; order: number; event: EventGridEvent }[] {
    const runId = run.runId;
    const isChild = run.kind !== 'pipeline';
    const experimentId = this.experimentId(job.experimentName);
    const tags = (job.properties.tags ?? {}) as Record<string, string>;
    const data = {
      experimentId,
      experimentName: job.experimentName,
      runId,
      runType: run.kind === 'step' ? 'azureml.StepRun' : 'azureml.PipelineRun',
      runTags: isChild && this.config.childEventsCarryJobTags !== true ? {} : tags,
      runProperties: isChild
        ? { 'azureml.pipelinerunid': job.name }
        : { 'azureml.runsource': 'azureml.PipelineRun', 'azureml.pipelineComponent': 'pipelinerun' },
      runStatus: t.status,
    };
    const asExamples = this.config.runEventsLikeExamples === true;
    const make = (eventType: string): { at: number; order: number; event: EventGridEvent } => {
      let shaped: Record<string, unknown> = data;
      if (asExamples) {
        const { runStatus, ...rest } = data;
        shaped =
          eventType === RUN_COMPLETED
            ? { ...rest, runType: null }
            : { ...rest, runType: null, runStatus: runStatus.toLowerCase() };
      }
      return {
        at: t.at,
        // At equal times a step's event goes before its node's, and the node's before the pipeline's.
        order: run.kind === 'step' ? 0 : run.kind === 'node' ? 1 : 2,
        event: {
          id: randomUUID(),
          topic: this.workspaceId,
          subject: `experiments/${experimentId}/runs/${runId}`,
          eventType,
          eventTime: new Date(t.at).toISOString(),
          dataVersion: asExamples ? '' : '2',
          metadataVersion: '1',
          data: shaped,
        },
      };
    };
    const events = [make(RUN_STATUS_CHANGED)];
    if (t.status === 'Completed') events.push(make(RUN_COMPLETED));
    return events;
  }

  // ---- helpers for handlers ------------------------------------------------------------------

  notFound(kind: string, name: string): ArmError {
    return new ArmError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.MachineLearningServices/workspaces/${this.config.workspace}/${kind}/${name}' under resource group '${this.config.resourceGroup}' was not found.`,
    );
  }
}
