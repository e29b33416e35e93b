// What the emulator serves from its recorded facts, asserted against the values in the public sources
// (named per test): the component version resource with its declared inputs, the two models with their
// tags, properties and archive state, the VM sizes, and usages in the service's naming.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { https, startHarness, type Harness } from './harness.js';

interface ComponentVersion {
  name: string;
  properties: {
    componentSpec: {
      name: string;
      version: string;
      inputs: Record<string, Record<string, unknown>>;
      outputs: Record<string, unknown>;
      jobs: Record<string, { component: string; compute: string }>;
    };
  };
}

interface ModelVersion {
  name: string;
  properties: { isArchived: boolean; tags: Record<string, string>; properties: Record<string, string> };
}

const auth = { authorization: 'Bearer t' };

describe('emulator registry, sizes and usages (recorded facts)', () => {
  let h: Harness;
  let registryBase = '';
  beforeAll(async () => {
    h = await startHarness();
    const discovery = await https<{
      primaryRegionResourceProviderUri: string;
      subscriptionId: string;
      resourceGroup: string;
    }>(h.emulator, 'GET', '/registrymanagement/v1.0/registries/azureml/discovery', undefined, auth);
    const d = discovery.body;
    registryBase = `${d.primaryRegionResourceProviderUri}mferp/managementfrontend/subscriptions/${d.subscriptionId}/resourceGroups/${d.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/azureml`;
  });
  afterAll(() => h.close());

  const get = <T>(path: string) =>
    https<T>(
      h.emulator,
      'GET',
      `${registryBase}${path}api-version=2021-10-01-dataplanepreview`,
      undefined,
      auth,
    );

  // Azure/azureml-assets .../pipeline_components/chat_completion/spec.yaml at f1947d6f7b (version 0.0.78).
  it('serves component version 0.0.78 with its declared optim input', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.78?');
    expect(reply.status).toBe(200);
    expect(reply.body.properties.componentSpec.inputs.optim).toEqual({
      type: 'string',
      default: 'adamw_torch',
      optional: true,
      enum: ['adamw_torch', 'adafactor'],
    });
  });

  it('serves the only required input of 0.0.78, task_name, with its enum and default', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.78?');
    expect(reply.body.properties.componentSpec.inputs.task_name).toEqual({
      type: 'string',
      optional: false,
      enum: ['ChatCompletion'],
      default: 'ChatCompletion',
    });
  });

  it('serves metric_for_best_model of 0.0.78 as the enum loss, f1, exact', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.78?');
    expect(reply.body.properties.componentSpec.inputs.metric_for_best_model!.enum).toEqual([
      'loss',
      'f1',
      'exact',
    ]);
  });

  it('serves the child-step tree of 0.0.78, evaluation included', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.78?');
    const jobs = reply.body.properties.componentSpec.jobs;
    expect(Object.keys(jobs)).toEqual([
      'ft_nlp_common_validation',
      'chat_completion_model_import',
      'chat_completion_datapreprocess',
      'chat_completion_finetune',
      'ft_nlp_model_converter',
      'model_prediction',
      'compute_metrics',
    ]);
    expect(jobs.chat_completion_finetune).toMatchObject({
      component: 'azureml:chat_completion_finetune:0.0.77',
      compute: '${{parent.inputs.compute_finetune}}',
    });
  });

  // The same spec.yaml at 5c0050ad52 (0.0.57).
  it('serves 0.0.57, whose optim still allows adamw_hf', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.57?');
    expect(reply.body.properties.componentSpec.inputs.optim!.enum).toEqual([
      'adamw_hf',
      'adamw_torch',
      'adafactor',
    ]);
  });

  // The same spec.yaml at b23bf51b01 (0.0.76).
  it('serves 0.0.76 without compute_model_evaluation and without evaluation steps', async () => {
    const reply = await get<ComponentVersion>('/components/chat_completion_pipeline/versions/0.0.76?');
    const spec = reply.body.properties.componentSpec;
    expect(spec.inputs.compute_model_evaluation).toBeUndefined();
    expect(Object.keys(spec.jobs)).not.toContain('compute_metrics');
  });

  it('lists 0.0.82 (committed 2026-06-30) first when ordered by creation time', async () => {
    const reply = await get<{ value: ComponentVersion[] }>(
      '/components/chat_completion_pipeline/versions?$orderBy=createdtime desc&$top=1&',
    );
    expect(reply.body.value.map((v) => v.name)).toEqual(['0.0.82']);
  });

  it('answers 404 naming the served versions for a version it does not serve', async () => {
    const reply = await get<{ error: { code: string; message: string } }>(
      '/components/chat_completion_pipeline/versions/0.0.99?',
    );
    expect(reply.status).toBe(404);
    expect(reply.body.error.message).toBe(
      "Component 'chat_completion_pipeline' version '0.0.99' was not found in registry 'azureml' (versions: 0.0.57, 0.0.76, 0.0.78, 0.0.82).",
    );
  });

  // Azure/azureml-assets assets/models/system/phi-3-mini-4k-instruct/spec.yaml before 0419839803 (v15).
  it("serves Phi-3-mini-4k-instruct 15 with the notebook model's lifecycle tags", async () => {
    const reply = await get<ModelVersion>('/models/Phi-3-mini-4k-instruct/versions/15?');
    expect(reply.body.properties.tags).toMatchObject({
      FinetuneDeprecationDate: '2025-06-30',
      FinetuneRetirementDate: '2025-08-30',
      InferenceDeprecationDate: '2025-06-30',
      InferenceRetirementDate: '2025-08-30',
    });
  });

  it('serves Phi-3-mini-4k-instruct 15 as archived', async () => {
    const reply = await get<ModelVersion>('/models/Phi-3-mini-4k-instruct/versions/15?');
    expect(reply.body.properties.isArchived).toBe(true);
  });

  it('serves model_specific_defaults of Phi-3-mini-4k-instruct 15 with learning_rate_min and learning_rate_max', async () => {
    const reply = await get<ModelVersion>('/models/Phi-3-mini-4k-instruct/versions/15?');
    expect(reply.body.properties.tags.model_specific_defaults).toContain(
      "'learning_rate': '5e-6', 'learning_rate_min': '5e-7', 'learning_rate_max': '5e-5'",
    );
  });

  it('serves the SKU properties of Phi-3-mini-4k-instruct 15', async () => {
    const reply = await get<ModelVersion>('/models/Phi-3-mini-4k-instruct/versions/15?');
    expect(reply.body.properties.properties).toMatchObject({
      'finetune-min-sku-spec': '24|1|220|64',
      'inference-min-sku-spec': '6|1|112|64',
      'finetune-recommended-sku':
        'Standard_NC24ads_A100_v4, Standard_NC48ads_A100_v4, Standard_NC96ads_A100_v4, Standard_ND96asr_v4, Standard_ND96amsr_A100_v4',
    });
  });

  // Azure/azureml-assets assets/models/system/Phi-4/spec.yaml (version 8).
  it('serves Phi-4 8 as live: not archived, no fine-tune retirement date', async () => {
    const reply = await get<ModelVersion>('/models/Phi-4/versions/8?');
    expect(reply.body.properties.isArchived).toBe(false);
    expect(reply.body.properties.tags.FinetuneRetirementDate).toBeUndefined();
  });

  it('serves the fine-tune allow list of Phi-4 8 as a Python-literal list in tags', async () => {
    const reply = await get<ModelVersion>('/models/Phi-4/versions/8?');
    expect(reply.body.properties.tags.finetune_compute_allow_list).toBe(
      "['Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4', 'Standard_NC40ads_H100_v5', 'Standard_NC80adis_H100_v5', 'Standard_ND96isr_H100_v5']",
    );
  });

  it('serves the inference allow list of Phi-4 8 without any NCv3 size', async () => {
    const reply = await get<ModelVersion>('/models/Phi-4/versions/8?');
    expect(reply.body.properties.tags.inference_compute_allow_list).toBe(
      "['Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4', 'Standard_ND96isr_H100_v5', 'Standard_NC40ads_H100_v5', 'Standard_NC80adis_H100_v5']",
    );
  });

  // MicrosoftDocs azure-docs articles/virtual-machines/ncv3-nc6s-nc12s-nc24s-retirement.md.
  it('lists Standard_NC6s_v3 with 6 vCPUs, 1 GPU and 112 GB', async () => {
    const sizes = await h.ml.virtualMachineSizes.list(h.emulator.location);
    expect(sizes.value?.find((s) => s.name === 'Standard_NC6s_v3')).toMatchObject({
      vCPUs: 6,
      gpus: 1,
      memoryGB: 112,
      family: 'standardNCSv3Family',
    });
  });

  // Azure/azure-rest-api-specs machinelearningservices stable/2024-10-01 examples/Usage/list.json.
  it('names a family usage row in the service naming at subscription, workspace and cluster scope', async () => {
    const rows = [];
    for await (const u of h.ml.usages.list(h.emulator.location)) rows.push(u);
    const name = 'Standard NCADSA100v4 Family Cluster Dedicated vCPUs';
    const sub = `/subscriptions/${h.emulator.subscriptionId}`;
    const ws = `${sub}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}`;
    expect(rows.filter((u) => u.name?.value === name).map((u) => [u.type, u.id])).toEqual([
      [
        'Microsoft.MachineLearningServices/vmFamily/usages',
        `${sub}/usages/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
      ],
      [
        'Microsoft.MachineLearningServices/workspaces/usages',
        `${ws}/usages/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
      ],
      [
        'Microsoft.MachineLearningServices/workspaces/computes/usages',
        `${ws}/computes/gpu-cluster/usages/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
      ],
      [
        'Microsoft.MachineLearningServices/workspaces/computes/usages',
        `${ws}/computes/failed-cluster/usages/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
      ],
    ]);
  });

  it('answers LowPriority family rows with limit -1 (no limit)', async () => {
    const rows = [];
    for await (const u of h.ml.usages.list(h.emulator.location)) rows.push(u);
    const low = rows.find(
      (u) =>
        u.name?.value === 'Standard NCADSA100v4 Family Cluster LowPriority vCPUs' &&
        u.type === 'Microsoft.MachineLearningServices/vmFamily/usages',
    );
    expect(low).toMatchObject({ currentValue: 0, limit: -1, unit: 'Count' });
  });

  it('answers the regional totals under their names', async () => {
    const rows = [];
    for await (const u of h.ml.usages.list(h.emulator.location)) rows.push(u);
    expect(rows.slice(0, 3).map((u) => [u.name?.value, u.type])).toEqual([
      ['Clusters', 'Microsoft.MachineLearningServices/totalCores/usages'],
      ['Total Cluster Dedicated Regional vCPUs', 'Microsoft.MachineLearningServices/dedicatedCores/usages'],
      [
        'Total Cluster LowPriority Regional vCPUs',
        'Microsoft.MachineLearningServices/lowPriorityCores/usages',
      ],
    ]);
  });

  // Azure/azure-rest-api-specs machinelearningservices stable/2024-10-01 examples/Quota/list.json.
  it('names quota rows like usage rows, at subscription and workspace scope', async () => {
    const rows = [];
    for await (const q of h.ml.quotas.list(h.emulator.location)) rows.push(q);
    const sub = `/subscriptions/${h.emulator.subscriptionId}`;
    expect(
      rows
        .filter((q) => q.name?.value === 'Standard NCADSA100v4 Family Cluster Dedicated vCPUs')
        .map((q) => [q.type, q.id, q.limit]),
    ).toEqual([
      [
        'Microsoft.MachineLearningServices/vmFamily/quotas',
        `${sub}/quotas/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
        96,
      ],
      [
        'Microsoft.MachineLearningServices/workspaces/quotas',
        `${sub}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}/quotas/Standard_NCADSA100v4_Family_Cluster_Dedicated_vCPUs`,
        96,
      ],
    ]);
  });
});
