// What the service refuses and the emulator now refuses too, each from its recorded fact: a node keyed
// `component`, an input the pinned component version does not declare, a value outside its enum or range,
// a retired or archived model, a retired VM size (cluster, serverless default, deployment).
import type { JobBase, PipelineJob } from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineJob, RETIRED_MODEL, startHarness, type Harness } from './harness.js';

type Node = Record<string, unknown> & { inputs: Record<string, unknown> };

function node(job: JobBase): Node {
  return (job.properties as PipelineJob).jobs!.chat_completion_pipeline as Node;
}

const literal = (value: string) => ({ job_input_type: 'literal', value });
const pinned = (version: string) =>
  `azureml://registries/azureml/components/chat_completion_pipeline/versions/${version}`;

interface Refusal {
  statusCode?: number;
  code?: string;
  message: string;
  /** The ARM error's details (RestError.details holds the parsed error body). */
  problems?: { code: string; target?: string; message: string }[];
}

const refusal = (e: unknown): Refusal => {
  const error = e as Refusal & { details?: { error?: { details?: Refusal['problems'] } } };
  return { ...error, message: error.message, problems: error.details?.error?.details ?? [] };
};

describe('emulator refusals from the recorded facts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const submit = (name: string, body: JobBase) =>
    h.ml.jobs.createOrUpdate(h.rg, h.ws, name, body).then(
      () => undefined,
      (e: unknown) => refusal(e),
    );

  it("refuses a node that carries 'component' instead of 'componentId', naming the key", async () => {
    const body = pipelineJob('ft-key');
    const n = node(body);
    n.component = n.componentId;
    delete n.componentId;
    const error = await submit('ft-key', body);
    expect(error).toMatchObject({ statusCode: 400, code: 'UserError' });
    expect(error!.problems).toEqual([
      {
        code: 'BadArgument',
        target: 'properties.jobs.chat_completion_pipeline.component',
        message:
          "Node 'chat_completion_pipeline' has the key 'component'; a pipeline node names its registry component under 'componentId' (azureml://registries/<registry>/components/<name>/versions/<version>).",
      },
    ]);
  });

  it('refuses learning_rate_min, a model default that is not an input of 0.0.78', async () => {
    const body = pipelineJob('ft-lrmin', { learning_rate_min: literal('5e-7') });
    const error = await submit('ft-lrmin', body);
    expect(error!.problems).toContainEqual({
      code: 'BadArgument',
      target: 'properties.jobs.chat_completion_pipeline.inputs.learning_rate_min',
      message:
        "Input 'learning_rate_min' is not an input of chat_completion_pipeline 0.0.78 (registry component spec); remove it or use a component version that declares it.",
    });
  });

  it('refuses optim adamw_hf on 0.0.78, whose enum is adamw_torch, adafactor', async () => {
    const error = await submit('ft-optim', pipelineJob('ft-optim', { optim: literal('adamw_hf') }));
    expect(error!.message).toContain(
      "Input 'optim' of chat_completion_pipeline 0.0.78 must be one of adamw_torch, adafactor; got 'adamw_hf'.",
    );
  });

  it('accepts optim adamw_hf on 0.0.57, whose enum still has it', async () => {
    const body = pipelineJob('ft-optim-57', { optim: literal('adamw_hf') });
    node(body).componentId = pinned('0.0.57');
    expect(await submit('ft-optim-57', body)).toBeUndefined();
  });

  it('refuses compute_model_evaluation on 0.0.76, which does not declare it', async () => {
    const body = pipelineJob('ft-eval-76');
    node(body).componentId = pinned('0.0.76');
    const error = await submit('ft-eval-76', body);
    expect(error!.message).toContain(
      "Input 'compute_model_evaluation' is not an input of chat_completion_pipeline 0.0.76",
    );
  });

  it('refuses metric_for_best_model eval_loss: the enum is loss, f1, exact', async () => {
    const error = await submit(
      'ft-metric',
      pipelineJob('ft-metric', { metric_for_best_model: literal('eval_loss') }),
    );
    expect(error!.message).toContain(
      "Input 'metric_for_best_model' of chat_completion_pipeline 0.0.78 must be one of loss, f1, exact; got 'eval_loss'.",
    );
  });

  it('refuses num_train_epochs 0: the declared minimum is 1', async () => {
    const error = await submit('ft-epochs', pipelineJob('ft-epochs', { num_train_epochs: literal('0') }));
    expect(error!.message).toContain(
      "Input 'num_train_epochs' of chat_completion_pipeline 0.0.78 must be >= 1, got 0.",
    );
  });

  it('refuses the notebook model, retired for fine-tuning on 2025-08-30', async () => {
    const body = pipelineJob('ft-retired', {
      mlflow_model_path: { job_input_type: 'mlflow_model', uri: RETIRED_MODEL },
    });
    const error = await submit('ft-retired', body);
    expect(error!.message).toContain(
      "Model 'Phi-3-mini-4k-instruct' version '15' in registry 'azureml' was retired for fine-tuning on 2025-08-30 (tag FinetuneRetirementDate); choose a model whose fine-tuning is live.",
    );
  });

  it('refuses a cluster whose VM size (Standard_NC24rs_v3) was retired on 2025-09-30', async () => {
    const error = await submit(
      'ft-v100',
      pipelineJob('ft-v100', { compute_finetune: literal('v100-cluster') }),
    );
    expect(error!.problems![0]).toEqual({
      code: 'BadArgument',
      target: 'properties.jobs.chat_completion_pipeline.inputs.compute_finetune',
      message:
        "Step 'chat_completion_finetune' would run on compute 'v100-cluster' (VM size Standard_NC24rs_v3), which was retired on 2025-09-30; choose a compute or instance type with a VM size that is not retired (e.g. Standard_NC24ads_A100_v4).",
    });
  });

  it("refuses serverless steps on the component's own default instance type, the retired Standard_nc24rs_v3", async () => {
    const body = pipelineJob('ft-serverless');
    for (const key of [
      'compute_model_import',
      'compute_preprocess',
      'compute_finetune',
      'compute_model_evaluation',
    ])
      delete node(body).inputs[key];
    const error = await submit('ft-serverless', body);
    expect(error!.problems!.map((d) => d.target)).toEqual([
      'properties.jobs.chat_completion_pipeline.inputs.instance_type_finetune',
      'properties.jobs.chat_completion_pipeline.inputs.instance_type_finetune',
      'properties.jobs.chat_completion_pipeline.inputs.instance_type_model_evaluation',
      'properties.jobs.chat_completion_pipeline.inputs.instance_type_model_evaluation',
    ]);
  });

  it('accepts serverless steps that ask for Standard_NC24ads_A100_v4', async () => {
    const body = pipelineJob('ft-serverless-a100', {
      instance_type_finetune: literal('Standard_NC24ads_A100_v4'),
      instance_type_model_evaluation: literal('Standard_NC24ads_A100_v4'),
    });
    for (const key of [
      'compute_model_import',
      'compute_preprocess',
      'compute_finetune',
      'compute_model_evaluation',
    ])
      delete node(body).inputs[key];
    expect(await submit('ft-serverless-a100', body)).toBeUndefined();
  });

  it('refuses a deployment on Standard_NC6s_v3, retired on 2025-09-30', async () => {
    await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      'ep-refusals',
      { location: 'eastus', properties: { authMode: 'Key' } },
      { updateIntervalInMs: 20 },
    );
    const error = await h.ml.onlineDeployments
      .beginCreateOrUpdateAndWait(h.rg, h.ws, 'ep-refusals', 'blue', {
        location: 'eastus',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}/models/missing/versions/1`,
          instanceType: 'Standard_NC6s_v3',
        },
      })
      .catch((e: unknown) => e as Refusal);
    expect(error).toMatchObject({ statusCode: 400 });
    expect((error as Refusal).message).toContain(
      "Instance type 'Standard_NC6s_v3' was retired on 2025-09-30; choose a VM size that is not retired",
    );
  });
});

describe('emulator refusals before the retirement date', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        clock: { jobSeconds: 1, lroSeconds: 0.2 },
        delivery: { retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 5 },
        lifecycleDate: '2025-07-01',
      },
    });
  });
  afterAll(() => h.close());

  it('refuses the notebook model as archived even before its retirement date', async () => {
    const body = pipelineJob('ft-archived', {
      mlflow_model_path: { job_input_type: 'mlflow_model', uri: RETIRED_MODEL },
    });
    const error = await h.ml.jobs
      .createOrUpdate(h.rg, h.ws, 'ft-archived', body)
      .catch((e: unknown) => e as Refusal);
    expect((error as Refusal).message).toContain(
      "Model 'Phi-3-mini-4k-instruct' version '15' in registry 'azureml' is archived; an archived model cannot be used as a job input.",
    );
  });

  it('accepts a cluster on Standard_NC24rs_v3 before its retirement on 2025-09-30', async () => {
    const body = pipelineJob('ft-v100-early', { compute_finetune: literal('v100-cluster') });
    const job = await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-v100-early', body);
    expect(job.properties.status).toBe('NotStarted');
  });
});
