// The emulator's mutable world: jobs, models, endpoints, deployments, long-running operations, Event Grid
// subscriptions, scoring counts and faults. In memory; optionally saved to a JSON file after every change
// so that a restart keeps jobs and endpoints (times are real epoch milliseconds, so a job keeps its place
// on its timeline across a restart).
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClockSettings, FaultSpec, SubscriptionSeed } from './config.js';
import type { ResolvedPipeline } from './pipeline.js';

export type FinalJobStatus = 'Completed' | 'Failed' | 'Canceled';

export interface JobRecord {
  name: string;
  /** `properties` as submitted (echoed back on GET, with status and services filled in). */
  properties: Record<string, unknown>;
  experimentName: string;
  resolved: ResolvedPipeline;
  createdAt: number;
  queuedAt: number;
  runningAt: number;
  /** When the job would complete on its own. */
  nominalEndAt: number;
  /** A forced end (admin outcome, or a failure the service would hit at run time). */
  outcome?: { status: FinalJobStatus; at: number; reason?: string };
  cancel?: { requestedAt: number; doneAt: number };
  /** Transitions already sent as events, per run id. */
  emitted: Record<string, number>;
}

export interface ModelVersionRecord {
  name: string;
  version: string;
  body: Record<string, unknown>;
  createdAt: number;
}

export type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

export interface EndpointRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  kind?: string;
  identity?: unknown;
  properties: Record<string, unknown>;
  provisioningState: ProvisioningState;
  keys: { primaryKey: string; secondaryKey: string };
  createdAt: number;
  modifiedAt: number;
}

export interface DeploymentRecord {
  endpoint: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  sku?: unknown;
  kind?: string;
  properties: Record<string, unknown>;
  provisioningState: ProvisioningState;
  failureReason?: string;
  createdAt: number;
  modifiedAt: number;
}

export type OperationKind =
  'endpointPut' | 'endpointDelete' | 'deploymentPut' | 'deploymentDelete' | 'jobCancel';

export interface OperationRecord {
  id: string;
  kind: OperationKind;
  endpoint?: string;
  deployment?: string;
  job?: string;
  startedAt: number;
  doneAt: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  /** Set when the operation is to fail (fault or invalid reference found while provisioning). */
  failure?: { code: string; message: string };
}

export interface SubscriptionRecord extends SubscriptionSeed {
  name: string;
  validated: boolean;
  delivered: number;
  failedAttempts: number;
  dropped: number;
  deadLettered: number;
}

export interface FaultRecord {
  id: number;
  spec: FaultSpec;
  remaining: number;
}

export interface PersistedState {
  clock: ClockSettings;
  jobs: Record<string, JobRecord>;
  models: Record<string, ModelVersionRecord>;
  endpoints: Record<string, EndpointRecord>;
  deployments: Record<string, DeploymentRecord>;
  operations: Record<string, OperationRecord>;
  subscriptions: Record<string, SubscriptionRecord>;
  /** Scoring requests counted per `endpoint|deployment|minute epoch ms`. */
  requests: Record<string, number>;
  /** CloudEvents each local Event Grid topic received, in arrival order (dev/emulator/topics.ts). */
  topics?: Record<string, unknown[]>;
}

export interface State extends PersistedState {
  faults: FaultRecord[];
  nextFaultId: number;
}

export function emptyState(clock: ClockSettings): State {
  return {
    clock: { ...clock },
    jobs: {},
    models: {},
    endpoints: {},
    deployments: {},
    operations: {},
    subscriptions: {},
    requests: {},
    faults: [],
    nextFaultId: 1,
  };
}

export const modelKey = (name: string, version: string) => `${name}/${version}`;
export const deploymentKey = (endpoint: string, deployment: string) => `${endpoint}/${deployment}`;

/** Loads a saved state if the file exists (faults are not persisted: they are for the run at hand). */
export function loadState(file: string | undefined, clock: ClockSettings): State {
  const state = emptyState(clock);
  if (file === undefined || !existsSync(file)) return state;
  let saved: Partial<PersistedState>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<PersistedState>;
  } catch (error) {
    throw new Error(`emulator state file ${file}: ${(error as Error).message}`);
  }
  // Jobs saved before the emulator recorded each job's child steps (resolved.steps) have no step tree to
  // replay; they keep their status and get no step runs.
  for (const job of Object.values(saved.jobs ?? {})) {
    if (!Array.isArray(job.resolved.steps)) job.resolved.steps = [];
  }
  return { ...state, ...saved, faults: [], nextFaultId: 1 };
}

export function saveState(file: string | undefined, state: State): void {
  if (file === undefined) return;
  const persisted: PersistedState = {
    clock: state.clock,
    jobs: state.jobs,
    models: state.models,
    endpoints: state.endpoints,
    deployments: state.deployments,
    operations: state.operations,
    subscriptions: state.subscriptions,
    requests: state.requests,
  };
  mkdirSync(dirname(file), { recursive: true });
  // Write-then-rename: a crash mid-write never leaves a torn file behind.
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(persisted));
  renameSync(temp, file);
}
