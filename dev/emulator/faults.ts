// Injected faults: the next N calls of an operation answer with an error status (429 carries
// Retry-After), or answer late, or their long-running operation ends Failed; the next N event
// deliveries are dropped, duplicated, delayed or reordered. Operation names are the REST operation ids
// of the specs (the SDK's operation spec names), listed in OPERATIONS; "*" matches every operation.
import type { FaultSpec } from './config.js';
import { ArmError, isRecord } from './http.js';
import type { FaultRecord, State } from './state.js';

export const OPERATIONS = [
  'Workspaces_Get',
  'Compute_Get',
  'Compute_List',
  'VirtualMachineSizes_List',
  'Usages_List',
  'Quotas_List',
  'Jobs_CreateOrUpdate',
  'Jobs_Get',
  'Jobs_List',
  'Jobs_Cancel',
  'ModelVersions_CreateOrUpdate',
  'ModelVersions_Get',
  'ModelVersions_List',
  'OnlineEndpoints_CreateOrUpdate',
  'OnlineEndpoints_Get',
  'OnlineEndpoints_List',
  'OnlineEndpoints_Delete',
  'OnlineEndpoints_ListKeys',
  'OnlineDeployments_CreateOrUpdate',
  'OnlineDeployments_Get',
  'OnlineDeployments_List',
  'OnlineDeployments_Delete',
  'OnlineDeployments_GetLogs',
  'Operations_GetStatus',
  'Operations_GetResult',
  'Metrics_List',
  'Registry_Discovery',
  'RegistryModelVersions_List',
  'RegistryComponentVersions_List',
  'RegistryModelVersions_Get',
  'MLflow_SearchRuns',
  'MLflow_GetRun',
  'MLflow_GetMetricHistory',
  'Scoring_Score',
  'PublishCloudEventEvents',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Operations whose long-running operation a `provisioningState: Failed` fault can fail. */
const LRO_OPERATIONS: readonly string[] = [
  'OnlineEndpoints_CreateOrUpdate',
  'OnlineDeployments_CreateOrUpdate',
  'OnlineEndpoints_Delete',
  'OnlineDeployments_Delete',
  'Jobs_Cancel',
];
const DELIVERY_FAULTS = ['drop', 'duplicate', 'delay', 'reorder'];

export class Faults {
  constructor(private readonly state: State) {}

  /** Validates and stores a fault; a bad spec is a 400 that names the field. */
  add(raw: unknown): FaultRecord {
    const spec = parseFault(raw);
    const record: FaultRecord = { id: this.state.nextFaultId++, spec, remaining: spec.count ?? 1 };
    this.state.faults.push(record);
    return record;
  }

  clear(): void {
    this.state.faults.length = 0;
  }

  private take<T extends FaultSpec>(match: (spec: FaultSpec) => spec is T): T | undefined {
    const record = this.state.faults.find((f) => match(f.spec));
    if (record === undefined) return undefined;
    record.remaining -= 1;
    if (record.remaining <= 0) this.state.faults.splice(this.state.faults.indexOf(record), 1);
    return record.spec as T;
  }

  takeStatus(operation: string) {
    return this.take(
      (s): s is Extract<FaultSpec, { status: number }> => 'status' in s && matches(s.operation, operation),
    );
  }

  takeDelay(operation: string) {
    return this.take(
      (s): s is Extract<FaultSpec, { delayMs: number; operation: string }> =>
        'operation' in s && 'delayMs' in s && matches(s.operation, operation),
    );
  }

  takeProvisioningFailure(operation: string) {
    return this.take(
      (s): s is Extract<FaultSpec, { provisioningState: 'Failed' }> =>
        'provisioningState' in s && matches(s.operation, operation),
    );
  }

  takeDelivery() {
    return this.take((s): s is Extract<FaultSpec, { delivery: string }> => 'delivery' in s);
  }
}

function matches(pattern: string, operation: string): boolean {
  return pattern === '*' || pattern.toLowerCase() === operation.toLowerCase();
}

function parseFault(raw: unknown): FaultSpec {
  const bad = (message: string) => new ArmError(400, 'InvalidFault', message);
  if (!isRecord(raw)) throw bad('A fault must be a JSON object.');
  const count = raw.count;
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1))
    throw bad("'count' must be a whole number >= 1.");
  const base = count === undefined ? {} : { count: count as number };
  if (raw.delivery !== undefined) {
    if (typeof raw.delivery !== 'string' || !DELIVERY_FAULTS.includes(raw.delivery)) {
      throw bad(`'delivery' must be one of ${DELIVERY_FAULTS.join(', ')}.`);
    }
    if (raw.delayMs !== undefined && (typeof raw.delayMs !== 'number' || raw.delayMs < 0))
      throw bad("'delayMs' must be a number >= 0.");
    return {
      delivery: raw.delivery as 'drop',
      ...base,
      ...(raw.delayMs === undefined ? {} : { delayMs: raw.delayMs }),
    };
  }
  const operation = raw.operation;
  if (
    typeof operation !== 'string' ||
    (operation !== '*' && !OPERATIONS.some((o) => o.toLowerCase() === operation.toLowerCase()))
  ) {
    throw bad(
      `'operation' must be '*' or one of ${OPERATIONS.join(', ')}; got ${JSON.stringify(operation)}.`,
    );
  }
  if (raw.status !== undefined) {
    if (!Number.isInteger(raw.status) || (raw.status as number) < 400 || (raw.status as number) > 599)
      throw bad("'status' must be an HTTP error status (400-599).");
    if (
      raw.retryAfterSeconds !== undefined &&
      (typeof raw.retryAfterSeconds !== 'number' || raw.retryAfterSeconds < 0)
    ) {
      throw bad("'retryAfterSeconds' must be a number >= 0.");
    }
    return {
      operation,
      status: raw.status as number,
      ...base,
      ...(raw.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: raw.retryAfterSeconds }),
      ...(typeof raw.message === 'string' ? { message: raw.message } : {}),
    };
  }
  if (raw.delayMs !== undefined) {
    if (typeof raw.delayMs !== 'number' || raw.delayMs < 0) throw bad("'delayMs' must be a number >= 0.");
    return { operation, delayMs: raw.delayMs, ...base };
  }
  if (raw.provisioningState !== undefined) {
    if (raw.provisioningState !== 'Failed') throw bad("'provisioningState' can only be 'Failed'.");
    if (!LRO_OPERATIONS.some((o) => o.toLowerCase() === operation.toLowerCase())) {
      throw bad(`A provisioning fault needs a long-running operation: one of ${LRO_OPERATIONS.join(', ')}.`);
    }
    return {
      operation,
      provisioningState: 'Failed',
      ...base,
      ...(typeof raw.message === 'string' ? { message: raw.message } : {}),
    };
  }
  throw bad("A fault needs 'status', 'delayMs' or 'provisioningState' (with 'operation'), or 'delivery'.");
}
