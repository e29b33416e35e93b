import { describe, expect, it } from 'vitest';
import { checkCompute, type ComputeCheckInput } from '../../src/domain/compute.js';

const NC24RS = { name: 'Standard_NC24rs_v3', gpus: 4, vCPUs: 24, family: 'standardNCSv3Family' };
const NC6 = { name: 'Standard_NC6', gpus: 1, vCPUs: 6, family: 'standardNCFamily' };
const DS3 = { name: 'Standard_DS3_v2', gpus: 0, vCPUs: 4, family: 'standardDSv2Family' };
const ALLOW = ['Standard_NC6s_v3', 'Standard_NC12s_v3', 'Standard_NC24s_v3', 'Standard_NC24rs_v3'];

const base: ComputeCheckInput = {
  compute: {
    name: 'gpu-cluster',
    provisioningState: 'Succeeded',
    computeType: 'AmlCompute',
    vmSize: 'Standard_NC24rs_v3',
    maxNodes: 2,
  },
  computeName: 'gpu-cluster',
  vmSizes: [NC6, NC24RS, DS3],
  usages: [{ family: 'standardNCSv3Family', currentValue: 24, limit: 96 }],
  finetuneAllowList: ALLOW,
  nodes: 1,
};
const withSize = (vmSize: string): ComputeCheckInput => ({ ...base, compute: { ...base.compute!, vmSize } });

describe('checkCompute', () => {
  it('accepts an allowed GPU cluster with quota left and reports its GPUs and cores', () => {
    expect(checkCompute(base)).toEqual({
      ok: true,
      value: {
        vmSize: 'Standard_NC24rs_v3',
        gpusPerNode: 4,
        family: 'standardNCSv3Family',
        coresNeeded: 24,
        coresLeft: 72,
      },
    });
  });

  it('fails when the compute does not exist', () => {
    expect(checkCompute({ ...base, compute: undefined })).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.NOT_FOUND',
        message:
          "compute 'gpu-cluster' does not exist in the workspace; create a GPU cluster with that name or set COMPUTE_CLUSTER to an existing one",
      },
    });
  });

  it('fails when provisioning failed (any case)', () => {
    expect(
      checkCompute({
        ...base,
        computeName: 'failed-cluster',
        compute: { ...base.compute!, name: 'failed-cluster', provisioningState: 'failed' },
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.FAILED',
        message:
          "compute 'failed-cluster' is in provisioning state Failed; delete and re-create it, or set COMPUTE_CLUSTER to a different compute",
      },
    });
  });

  it("says why provisioning failed, in Azure ML's words, when it gave a reason", () => {
    const result = checkCompute({
      ...base,
      computeName: 'failed-cluster',
      compute: {
        ...base.compute!,
        name: 'failed-cluster',
        provisioningState: 'Failed',
        provisioningErrors: ['Quota exceeded for standardNCSv3Family.', 'Subnet full.'],
      },
    });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.FAILED',
        message:
          "compute 'failed-cluster' is in provisioning state Failed (Azure ML: Quota exceeded for standardNCSv3Family.; Subnet full.); delete and re-create it, or set COMPUTE_CLUSTER to a different compute",
      },
    });
  });

  it('fails a compute without a VM size (not an AmlCompute cluster)', () => {
    expect(
      checkCompute({
        ...base,
        compute: { name: 'gpu-cluster', provisioningState: 'Succeeded', computeType: 'Kubernetes' },
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.NO_VM_SIZE',
        message:
          "compute 'gpu-cluster' (Kubernetes) has no VM size; fine-tuning needs an AmlCompute GPU cluster",
      },
    });
  });

  it("fails a VM size outside the model's allow list, naming the allowed sizes", () => {
    expect(checkCompute(withSize('Standard_NC6'))).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.VM_SIZE_NOT_ALLOWED',
        message:
          "compute 'gpu-cluster' uses Standard_NC6, which this model cannot fine-tune on; allowed: Standard_NC6s_v3, Standard_NC12s_v3, Standard_NC24s_v3, Standard_NC24rs_v3",
        details: { vmSize: 'Standard_NC6', allowed: ALLOW },
      },
    });
  });

  it('compares the allow list case-insensitively', () => {
    const result = checkCompute(withSize('standard_nc24rs_V3'));
    expect(result.ok && result.value.vmSize).toBe('Standard_NC24rs_v3');
  });

  it('without an allow list, fails the unsupported sizes case-insensitively', () => {
    expect(checkCompute({ ...withSize('STANDARD_NC6'), finetuneAllowList: undefined })).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.VM_SIZE_UNSUPPORTED',
        message:
          "compute 'gpu-cluster' uses STANDARD_NC6, which is not supported for fine-tuning; use a newer GPU size (e.g. Standard_NC24rs_v3)",
      },
    });
  });

  it('without an allow list, accepts any other GPU size', () => {
    expect(checkCompute({ ...base, finetuneAllowList: undefined }).ok).toBe(true);
  });

  it('fails when the VM size is not in the region list (GPU count unknown)', () => {
    expect(checkCompute({ ...withSize('Standard_NC24s_v3') })).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.VM_SIZE_UNKNOWN',
        message:
          "compute 'gpu-cluster' uses Standard_NC24s_v3, which is not in the workspace region's VM size list, so its GPU count is unknown; check the cluster (GPU sizes available: Standard_NC6, Standard_NC24rs_v3)",
        details: {
          vmSize: 'Standard_NC24s_v3',
          available: ['Standard_NC6', 'Standard_NC24rs_v3', 'Standard_DS3_v2'],
        },
      },
    });
  });

  it('fails a CPU-only size', () => {
    expect(
      checkCompute({
        ...withSize('Standard_DS3_v2'),
        computeName: 'cpu-cluster',
        finetuneAllowList: undefined,
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.NO_GPU',
        message:
          "compute 'cpu-cluster' uses Standard_DS3_v2, which has no GPU; fine-tuning runs only on GPU compute",
      },
    });
  });

  it('fails when the run needs more nodes than the cluster scales to', () => {
    expect(checkCompute({ ...base, nodes: 3 })).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.TOO_FEW_NODES',
        message:
          "compute 'gpu-cluster' scales to at most 2 node(s) but the run asks for 3 (num_nodes_finetune); raise the cluster's maximum or lower num_nodes_finetune",
      },
    });
  });

  it('fails when the family quota has fewer cores left than vCPUs x nodes', () => {
    expect(
      checkCompute({
        ...base,
        nodes: 2,
        usages: [{ family: 'STANDARDNCSV3FAMILY', currentValue: 72, limit: 96 }],
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.QUOTA_EXCEEDED',
        message:
          "compute 'gpu-cluster' needs 48 standardNCSv3Family cores (24 vCPUs x 2 node(s)) but only 24 of the 96-core quota are left in the region; request a quota increase or free cores",
        details: {
          family: 'standardNCSv3Family',
          coresNeeded: 48,
          coresLeft: 24,
          limit: 96,
          currentValue: 72,
        },
      },
    });
  });

  it('passes with exactly enough cores left', () => {
    const result = checkCompute({
      ...base,
      usages: [{ family: 'standardNCSv3Family', currentValue: 72, limit: 96 }],
    });
    expect(result.ok && result.value.coresLeft).toBe(24);
  });

  it('skips the quota check with a note when the region reports no usage for the family', () => {
    expect(checkCompute({ ...base, usages: [] })).toEqual({
      ok: true,
      value: {
        vmSize: 'Standard_NC24rs_v3',
        gpusPerNode: 4,
        family: 'standardNCSv3Family',
        coresNeeded: 24,
        coresLeft: undefined,
        note: 'no quota usage reported for standardNCSv3Family; quota not checked',
      },
    });
  });
});
