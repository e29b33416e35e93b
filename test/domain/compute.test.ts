import { describe, expect, it } from 'vitest';
import { toUsageInfo } from '../../src/adapters/azureMlGateway.js';
import {
  checkCompute,
  checkQuota,
  familyUsageName,
  type ComputeCheckInput,
  type QuotaInput,
} from '../../src/domain/compute.js';
import type { UsageInfo } from '../../src/domain/resources.js';
import { armExample, responseBody } from '../support/azureFixtures.js';

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
  usages: [
    {
      name: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
      scope: 'subscription',
      currentValue: 24,
      limit: 96,
    },
  ],
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
        vmPriority: 'Dedicated',
        coresNeeded: 24,
        quota: {
          checked: true,
          usage: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
          scope: 'subscription',
          limit: 96,
          currentValue: 24,
          coresLeft: 72,
        },
        notes: [],
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
        usages: [
          {
            name: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
            scope: 'subscription',
            currentValue: 72,
            limit: 96,
          },
        ],
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'COMPUTE.QUOTA_EXCEEDED',
        message:
          "compute 'gpu-cluster' needs 48 standardNCSv3Family cores (24 vCPUs x 2 node(s)) but only 24 of the 96-core quota 'Standard NCSv3 Family Cluster Dedicated vCPUs' are left for the subscription; request a quota increase, free cores or lower num_nodes_finetune",
        details: {
          family: 'standardNCSv3Family',
          usage: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
          scope: 'subscription',
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
      usages: [
        {
          name: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
          scope: 'subscription',
          currentValue: 72,
          limit: 96,
        },
      ],
    });
    expect(result.ok && result.value.quota).toEqual({
      checked: true,
      usage: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
      scope: 'subscription',
      limit: 96,
      currentValue: 72,
      coresLeft: 24,
    });
  });

  it('says the quota was not checked, as a note, when no usage row matches', () => {
    expect(checkCompute({ ...base, usages: [] })).toEqual({
      ok: true,
      value: {
        vmSize: 'Standard_NC24rs_v3',
        gpusPerNode: 4,
        family: 'standardNCSv3Family',
        vmPriority: 'Dedicated',
        coresNeeded: 24,
        quota: {
          checked: false,
          reason:
            "Azure ML reported no usage 'Standard NCSv3 Family Cluster Dedicated vCPUs' (for Standard_NC24rs_v3, family standardNCSv3Family) at cluster 'gpu-cluster', workspace or subscription scope among 0 usage row(s)",
        },
        notes: [
          {
            code: 'COMPUTE.QUOTA_NOT_CHECKED',
            message:
              "quota not checked: Azure ML reported no usage 'Standard NCSv3 Family Cluster Dedicated vCPUs' (for Standard_NC24rs_v3, family standardNCSv3Family) at cluster 'gpu-cluster', workspace or subscription scope among 0 usage row(s)",
          },
        ],
      },
    });
  });

  it('does not take a usage named after the bare family string for the family row', () => {
    // What the first version matched on; the service never names a row so.
    const result = checkCompute({
      ...base,
      usages: [{ name: 'standardNCSv3Family', scope: 'subscription', currentValue: 96, limit: 96 }],
    });
    expect(result.ok && result.value.quota.checked).toBe(false);
  });

  it('counts a low-priority cluster against the LowPriority row, not the Dedicated one', () => {
    const result = checkCompute({
      ...base,
      compute: { ...base.compute!, vmPriority: 'LowPriority' },
      usages: [
        {
          name: 'Standard NCSv3 Family Cluster Dedicated vCPUs',
          scope: 'subscription',
          currentValue: 96,
          limit: 96,
        },
        {
          name: 'Standard NCSv3 Family Cluster LowPriority vCPUs',
          scope: 'subscription',
          currentValue: 0,
          limit: 48,
        },
      ],
    });
    expect(result.ok && result.value.quota).toEqual({
      checked: true,
      usage: 'Standard NCSv3 Family Cluster LowPriority vCPUs',
      scope: 'subscription',
      limit: 48,
      currentValue: 0,
      coresLeft: 24 + 24,
    });
  });
});

/** The official Usage/list.json rows as our gateway reads them for one workspace. */
function exampleUsages(workspace: string): UsageInfo[] {
  const body = responseBody(armExample('machinelearningservices/usages.list.json')) as {
    value: Parameters<typeof toUsageInfo>[0][];
  };
  return body.value.flatMap((row) => toUsageInfo(row, workspace) ?? []);
}

describe('familyUsageName', () => {
  it("names a VM family's cluster cores as the service does", () => {
    expect(familyUsageName('standardNCADSA100v4Family', 'Dedicated')).toBe(
      'Standard NCADSA100v4 Family Cluster Dedicated vCPUs',
    );
  });

  it('names the low-priority row', () => {
    expect(familyUsageName('standardNCFamily', 'LowPriority')).toBe(
      'Standard NC Family Cluster LowPriority vCPUs',
    );
  });

  it('has no name for a family outside the standard<Name>Family pattern', () => {
    expect(familyUsageName('basicA0', 'Dedicated')).toBeUndefined();
  });
});

describe('checkQuota against the official Usage/list.json rows', () => {
  const nc: Omit<QuotaInput, 'usages' | 'computeName'> = {
    family: 'standardNCFamily',
    vmSize: 'Standard_NC6',
    vmPriority: 'Dedicated',
  };

  it("prefers our cluster's own row (demo_cluster1_nc: 6 of 24 used)", () => {
    expect(
      checkQuota({ ...nc, computeName: 'demo_cluster1_nc', usages: exampleUsages('demo_workspace1') }),
    ).toEqual({
      checked: true,
      usage: 'Standard NC Family Cluster Dedicated vCPUs',
      scope: 'compute',
      limit: 24,
      currentValue: 6,
      coresLeft: 18,
    });
  });

  it("takes the workspace's row when our cluster has none", () => {
    expect(
      checkQuota({ ...nc, computeName: 'gpu-cluster', usages: exampleUsages('demo_workspace1') }),
    ).toEqual({
      checked: true,
      usage: 'Standard NC Family Cluster Dedicated vCPUs',
      scope: 'workspace',
      limit: 24,
      currentValue: 6,
      coresLeft: 18,
    });
  });

  it("takes the subscription's row when the workspace has none (12 of 24 used)", () => {
    expect(
      checkQuota({ ...nc, computeName: 'gpu-cluster', usages: exampleUsages('other_workspace') }),
    ).toEqual({
      checked: true,
      usage: 'Standard NC Family Cluster Dedicated vCPUs',
      scope: 'subscription',
      limit: 24,
      currentValue: 12,
      coresLeft: 12,
    });
  });

  it('never takes the row of a cluster with another name', () => {
    // demo_cluster2_dsv2 (0 of 24 used) is not ours: demo_workspace1's DSv2 row (2 of 24) applies.
    expect(
      checkQuota({
        family: 'standardDSv2Family',
        vmSize: 'Standard_DS3_v2',
        vmPriority: 'Dedicated',
        computeName: 'cpu-cluster',
        usages: exampleUsages('demo_workspace1'),
      }),
    ).toMatchObject({ checked: true, scope: 'workspace', currentValue: 2, coresLeft: 22 });
  });

  it('reads limit -1 of a LowPriority row as no limit', () => {
    expect(
      checkQuota({
        ...nc,
        vmPriority: 'LowPriority',
        computeName: 'demo_cluster1_lowPriority_nc',
        usages: exampleUsages('demo_workspace1'),
      }),
    ).toEqual({
      checked: true,
      usage: 'Standard NC Family Cluster LowPriority vCPUs',
      scope: 'compute',
      limit: -1,
      currentValue: 6,
      coresLeft: null,
    });
  });

  it('is not checked for a family the region lists no row for (NCADSA100v4)', () => {
    expect(
      checkQuota({
        family: 'standardNCADSA100v4Family',
        vmSize: 'Standard_NC24ads_A100_v4',
        vmPriority: 'Dedicated',
        computeName: 'gpu-cluster',
        usages: exampleUsages('demo_workspace1'),
      }),
    ).toEqual({
      checked: false,
      reason:
        "Azure ML reported no usage 'Standard NCADSA100v4 Family Cluster Dedicated vCPUs' (for Standard_NC24ads_A100_v4, family standardNCADSA100v4Family) at cluster 'gpu-cluster', workspace or subscription scope among 30 usage row(s)",
    });
  });

  it('refuses a job bigger than what is left on our cluster', () => {
    expect(
      checkCompute({
        compute: {
          name: 'demo_cluster1_nc',
          provisioningState: 'Succeeded',
          computeType: 'AmlCompute',
          vmSize: 'STANDARD_NC6',
          vmPriority: 'Dedicated',
          maxNodes: 4,
        },
        computeName: 'demo_cluster1_nc',
        vmSizes: [NC6],
        usages: exampleUsages('demo_workspace1'),
        finetuneAllowList: ['Standard_NC6'],
        nodes: 4,
      }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'COMPUTE.QUOTA_EXCEEDED',
        details: {
          usage: 'Standard NC Family Cluster Dedicated vCPUs',
          scope: 'compute',
          coresNeeded: 24,
          coresLeft: 18,
        },
      },
    });
  });
});
