// The notebook's compute checks (section 3) before anything is submitted, plus a quota
// pre-flight: a job whose cluster cannot get its cores waits in the queue instead of failing.
import type { ErrorCode } from './errorCodes.js';
import { fail, ok, type Result } from './errors.js';
import type { ComputeInfo, UsageInfo, UsageScope, VmSizeInfo } from './resources.js';

/** Old K80 sizes the fine-tune component does not support (used when the model has no allow list). */
export const UNSUPPORTED_FINETUNE_VM_SIZES = [
  'standard_nc6',
  'standard_nc12',
  'standard_nc24',
  'standard_nc24r',
];

export const ComputeCode = {
  notFound: 'COMPUTE.NOT_FOUND',
  failed: 'COMPUTE.FAILED',
  noVmSize: 'COMPUTE.NO_VM_SIZE',
  vmSizeNotAllowed: 'COMPUTE.VM_SIZE_NOT_ALLOWED',
  vmSizeUnsupported: 'COMPUTE.VM_SIZE_UNSUPPORTED',
  vmSizeUnknown: 'COMPUTE.VM_SIZE_UNKNOWN',
  noGpu: 'COMPUTE.NO_GPU',
  tooFewNodes: 'COMPUTE.TOO_FEW_NODES',
  quotaExceeded: 'COMPUTE.QUOTA_EXCEEDED',
  /** A note, not a failure: no usage row matched, so the quota pre-flight did not happen. */
  quotaNotChecked: 'COMPUTE.QUOTA_NOT_CHECKED',
} as const satisfies Record<string, ErrorCode>;

export interface ComputeCheckInput {
  readonly compute: ComputeInfo | undefined;
  readonly computeName: string;
  /** The workspace region's VM sizes (GPUs, vCPUs, quota family). */
  readonly vmSizes: readonly VmSizeInfo[];
  readonly usages: readonly UsageInfo[];
  /** The model's finetune_compute_allow_list tag, when it has one. */
  readonly finetuneAllowList?: readonly string[] | undefined;
  /** Nodes the fine-tune step uses (num_nodes_finetune). */
  readonly nodes: number;
}

/** Which quota a cluster's nodes count against (AmlCompute `vmPriority`). */
export type VmPriority = 'Dedicated' | 'LowPriority';

/** What the quota pre-flight found: a usage row it checked, or why it could not check. */
export type QuotaCheck =
  | {
      readonly checked: true;
      /** The usage row's name, e.g. `Standard NC Family Cluster Dedicated vCPUs`. */
      readonly usage: string;
      readonly scope: UsageScope;
      readonly limit: number;
      readonly currentValue: number;
      /** Cores left at that scope; null when the row has no limit (-1). */
      readonly coresLeft: number | null;
    }
  | { readonly checked: false; readonly reason: string };

/** Something the run view should show although it did not stop the run. */
export interface ComputeNote {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ComputeCheck {
  readonly vmSize: string;
  readonly gpusPerNode: number;
  readonly family: string;
  readonly vmPriority: VmPriority;
  readonly coresNeeded: number;
  readonly quota: QuotaCheck;
  /** `COMPUTE.QUOTA_NOT_CHECKED` when the quota could not be checked (never a silent pass). */
  readonly notes: readonly ComputeNote[];
}

const sameSize = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Azure ML's own words for a failed provisioning, when it gave any. */
function provisioningReason(errors: readonly string[] | undefined): string {
  return errors === undefined || errors.length === 0 ? '' : ` (Azure ML: ${errors.join('; ')})`;
}

export function checkCompute(input: ComputeCheckInput): Result<ComputeCheck> {
  const { compute, computeName: name, nodes } = input;
  if (compute === undefined) {
    return fail({
      code: ComputeCode.notFound,
      message: `compute '${name}' does not exist in the workspace; create a GPU cluster with that name or set COMPUTE_CLUSTER to an existing one`,
    });
  }
  if (compute.provisioningState.toLowerCase() === 'failed') {
    return fail({
      code: ComputeCode.failed,
      message: `compute '${name}' is in provisioning state Failed${provisioningReason(compute.provisioningErrors)}; delete and re-create it, or set COMPUTE_CLUSTER to a different compute`,
    });
  }
  const vmSize = compute.vmSize;
  if (vmSize === undefined || vmSize === '') {
    return fail({
      code: ComputeCode.noVmSize,
      message: `compute '${name}' (${compute.computeType}) has no VM size; fine-tuning needs an AmlCompute GPU cluster`,
    });
  }
  if (input.finetuneAllowList !== undefined) {
    if (!input.finetuneAllowList.some((allowed) => sameSize(allowed, vmSize))) {
      return fail({
        code: ComputeCode.vmSizeNotAllowed,
        message: `compute '${name}' uses ${vmSize}, which this model cannot fine-tune on; allowed: ${input.finetuneAllowList.join(', ')}`,
        details: { vmSize, allowed: [...input.finetuneAllowList] },
      });
    }
  } else if (UNSUPPORTED_FINETUNE_VM_SIZES.includes(vmSize.toLowerCase())) {
    return fail({
      code: ComputeCode.vmSizeUnsupported,
      message: `compute '${name}' uses ${vmSize}, which is not supported for fine-tuning; use a newer GPU size (e.g. Standard_NC24rs_v3)`,
    });
  }

  const size = input.vmSizes.find((s) => sameSize(s.name, vmSize));
  if (size === undefined) {
    const gpuSizes = input.vmSizes.filter((s) => s.gpus > 0).map((s) => s.name);
    return fail({
      code: ComputeCode.vmSizeUnknown,
      message: `compute '${name}' uses ${vmSize}, which is not in the workspace region's VM size list, so its GPU count is unknown; check the cluster (GPU sizes available: ${gpuSizes.join(', ') || 'none'})`,
      details: { vmSize, available: input.vmSizes.map((s) => s.name) },
    });
  }
  if (size.gpus < 1) {
    return fail({
      code: ComputeCode.noGpu,
      message: `compute '${name}' uses ${size.name}, which has no GPU; fine-tuning runs only on GPU compute`,
    });
  }
  if (compute.maxNodes !== undefined && nodes > compute.maxNodes) {
    return fail({
      code: ComputeCode.tooFewNodes,
      message: `compute '${name}' scales to at most ${compute.maxNodes} node(s) but the run asks for ${nodes} (num_nodes_finetune); raise the cluster's maximum or lower num_nodes_finetune`,
    });
  }

  const coresNeeded = size.vCPUs * nodes;
  const vmPriority = priorityOf(compute);
  const quota = checkQuota({
    family: size.family,
    vmSize: size.name,
    vmPriority,
    computeName: name,
    usages: input.usages,
  });
  const base = { vmSize: size.name, gpusPerNode: size.gpus, family: size.family, vmPriority, coresNeeded };
  if (!quota.checked) {
    return ok({
      ...base,
      quota,
      notes: [{ code: ComputeCode.quotaNotChecked, message: `quota not checked: ${quota.reason}` }],
    });
  }
  if (quota.coresLeft !== null && coresNeeded > quota.coresLeft) {
    const where = quota.scope === 'compute' ? `cluster '${name}'` : `the ${quota.scope}`;
    return fail({
      code: ComputeCode.quotaExceeded,
      message: `compute '${name}' needs ${coresNeeded} ${size.family} cores (${size.vCPUs} vCPUs x ${nodes} node(s)) but only ${quota.coresLeft} of the ${quota.limit}-core quota '${quota.usage}' are left for ${where}; request a quota increase, free cores or lower num_nodes_finetune`,
      details: {
        family: size.family,
        usage: quota.usage,
        scope: quota.scope,
        coresNeeded,
        coresLeft: quota.coresLeft,
        limit: quota.limit,
        currentValue: quota.currentValue,
      },
    });
  }
  return ok({ ...base, quota, notes: [] });
}

function priorityOf(compute: ComputeInfo): VmPriority {
  return compute.vmPriority?.toLowerCase() === 'lowpriority' ? 'LowPriority' : 'Dedicated';
}

export interface QuotaInput {
  /** The VM size's quota family, e.g. `standardNCADSA100v4Family`. */
  readonly family: string;
  readonly vmSize: string;
  readonly vmPriority: VmPriority;
  /** Our cluster: its compute-scope row is the closest limit. */
  readonly computeName: string;
  readonly usages: readonly UsageInfo[];
}

/**
 * The service's name for a family's cluster cores (Usage/list.json examples in the Azure REST specs,
 * recorded in test/fixtures/azure/machinelearningservices/usages.list.json):
 * `standardNCADSA100v4Family` -> `Standard NCADSA100v4 Family Cluster Dedicated vCPUs`.
 * Undefined when the family does not follow the `standard<Name>Family` pattern.
 */
export function familyUsageName(family: string, vmPriority: VmPriority): string | undefined {
  const inner = /^standard(.+)family$/i.exec(family)?.[1];
  return inner === undefined ? undefined : `Standard ${inner} Family Cluster ${vmPriority} vCPUs`;
}

/** Usage names compared as the service spells them in names (spaces) and ids (underscores). */
const usageKey = (name: string) =>
  name
    .replace(/[\s_]+/g, ' ')
    .trim()
    .toLowerCase();

const SCOPE_ORDER: readonly UsageScope[] = ['compute', 'workspace', 'subscription'];

/**
 * The family's usage row closest to our cluster (its compute-scope row, then the workspace's, then
 * the subscription's regional one) and what is left there. Another cluster's row never counts.
 */
export function checkQuota(input: QuotaInput): QuotaCheck {
  const expected = familyUsageName(input.family, input.vmPriority);
  if (expected === undefined) {
    return {
      checked: false,
      reason: `the VM family '${input.family}' of ${input.vmSize} does not follow the service's standard<Name>Family naming, so no usage row can be matched to it`,
    };
  }
  const key = usageKey(expected);
  const candidates = input.usages.filter(
    (u) =>
      usageKey(u.name) === key &&
      (u.scope !== 'compute' || u.compute?.toLowerCase() === input.computeName.toLowerCase()),
  );
  const row = SCOPE_ORDER.map((scope) => candidates.find((u) => u.scope === scope)).find(
    (u) => u !== undefined,
  );
  if (row === undefined) {
    return {
      checked: false,
      reason: `Azure ML reported no usage '${expected}' (for ${input.vmSize}, family ${input.family}) at cluster '${input.computeName}', workspace or subscription scope among ${input.usages.length} usage row(s)`,
    };
  }
  return {
    checked: true,
    usage: row.name,
    scope: row.scope,
    limit: row.limit,
    currentValue: row.currentValue,
    coresLeft: row.limit < 0 ? null : row.limit - row.currentValue,
  };
}
