// The notebook's compute checks (section 3) before anything is submitted, plus a quota
// pre-flight: a job whose cluster cannot get its cores waits in the queue instead of failing.
import { fail, ok, type Result } from './errors.js';
import type { ComputeInfo, UsageInfo, VmSizeInfo } from './ports.js';

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
} as const;

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

export interface ComputeCheck {
  readonly vmSize: string;
  readonly gpusPerNode: number;
  readonly family: string;
  readonly coresNeeded: number;
  /** Cores left in the family's regional quota; undefined when the region reports no usage for it. */
  readonly coresLeft: number | undefined;
  /** Why a check was skipped, if one was. */
  readonly note?: string;
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
  const usage = input.usages.find((u) => u.family.toLowerCase() === size.family.toLowerCase());
  const base = { vmSize: size.name, gpusPerNode: size.gpus, family: size.family, coresNeeded };
  if (usage === undefined) {
    return ok({
      ...base,
      coresLeft: undefined,
      note: `no quota usage reported for ${size.family}; quota not checked`,
    });
  }
  const coresLeft = usage.limit - usage.currentValue;
  if (coresLeft < coresNeeded) {
    return fail({
      code: ComputeCode.quotaExceeded,
      message: `compute '${name}' needs ${coresNeeded} ${size.family} cores (${size.vCPUs} vCPUs x ${nodes} node(s)) but only ${coresLeft} of the ${usage.limit}-core quota are left in the region; request a quota increase or free cores`,
      details: {
        family: size.family,
        coresNeeded,
        coresLeft,
        limit: usage.limit,
        currentValue: usage.currentValue,
      },
    });
  }
  return ok({ ...base, coresLeft });
}
