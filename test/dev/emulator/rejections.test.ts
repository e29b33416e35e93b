// Every way a request is refused: the job bodies the service rejects (including the exact body the
// buggy SDK 2.1.1 serialization produces for top-level asset inputs), auth, api-version, names, keys.
import { AzureMachineLearningWorkspaces, type JobBase, type PipelineJob } from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOptions,
  https,
  pipelineJob,
  REGISTRY_MODEL,
  staticCredential,
  startHarness,
  waitUntil,
  type Harness,
} from './harness.js';

const poll = { updateIntervalInMs: 20 };
const ENDPOINT = 'ep-rejections';

function inputs(job: JobBase): Record<string, unknown> {
  return (job.properties as PipelineJob).jobs!.chat_completion_pipeline!.inputs as Record<string, unknown>;
}

describe('emulator rejections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const rejectJob = (name: string, body: JobBase) => h.ml.jobs.createOrUpdate(h.rg, h.ws, name, body);

  it('rejects top-level asset inputs as the buggy SDK serializes them (no uri, no mode)', async () => {
    const body = pipelineJob('ft-bug');
    const node = inputs(body);
    delete node.train_file_path;
    node.train_file_path = { job_input_type: 'literal', value: '${{parent.inputs.train}}' };
    (body.properties as PipelineJob).inputs = {
      train: {
        jobInputType: 'uri_file',
        uri: 'azureml://datastores/trainingdata/paths/runs/ft-bug/train.jsonl',
        mode: 'ReadOnlyMount',
      } as never,
    };
    let wire = '';
    const spy = new AzureMachineLearningWorkspaces(staticCredential, h.emulator.subscriptionId, {
      ...clientOptions(h.emulator),
      additionalPolicies: [
        {
          position: 'perCall',
          policy: {
            name: 'captureBody',
            sendRequest: (request, next) => {
              wire = typeof request.body === 'string' ? request.body : '';
              return next(request);
            },
          },
        },
      ],
    });
    const error = await spy.jobs.createOrUpdate(h.rg, h.ws, 'ft-bug', body).catch((e: unknown) => e);
    // What actually went on the wire: the SDK dropped uri and mode.
    expect(JSON.parse(wire).properties.inputs.train).toEqual({ jobInputType: 'uri_file' });
    expect(error).toMatchObject({ statusCode: 400, code: 'UserError' });
    expect((error as Error).message).toContain(
      "properties.inputs.train.uri: Pipeline input 'train' of type uri_file has no 'uri'",
    );
    await expect(h.ml.jobs.get(h.rg, h.ws, 'ft-bug')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('accepts top-level asset inputs sent raw with their uri and mode, bound from the node', async () => {
    const body = pipelineJob('ft-raw');
    const node = inputs(body);
    node.train_file_path = { job_input_type: 'literal', value: '${{parent.inputs.train}}' };
    node.mlflow_model_path = { job_input_type: 'literal', value: '${{parent.inputs.model}}' };
    (body.properties as PipelineJob).inputs = {
      train: {
        jobInputType: 'uri_file',
        uri: 'azureml://datastores/trainingdata/paths/runs/ft-raw/train.jsonl',
        mode: 'ReadOnlyMount',
      },
      model: { jobInputType: 'mlflow_model', uri: REGISTRY_MODEL, mode: 'ReadOnlyMount' },
    } as never;
    const path = `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}/jobs/ft-raw?api-version=2022-10-01`;
    const reply = await https<{ properties: { status: string } }>(h.emulator, 'PUT', path, body, {
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(201);
    expect(reply.body.properties.status).toBe('NotStarted');
  });

  it('rejects a literal that is not a string', async () => {
    const body = pipelineJob('ft-num');
    inputs(body).num_train_epochs = { job_input_type: 'literal', value: 3 };
    await expect(rejectJob('ft-num', body)).rejects.toThrow(
      "properties.jobs.chat_completion_pipeline.inputs.num_train_epochs.value: Input 'num_train_epochs' is a literal; its 'value' must be a string, got number 3.",
    );
  });

  it('rejects an input the component does not declare', async () => {
    const body = pipelineJob('ft-unknown');
    inputs(body).epochs = { job_input_type: 'literal', value: '3' };
    await expect(rejectJob('ft-unknown', body)).rejects.toThrow(
      "Input 'epochs' is not an input of chat_completion_pipeline 0.0.78 (registry component spec)",
    );
  });

  it('rejects a compute that does not exist', async () => {
    const body = pipelineJob('ft-compute');
    inputs(body).compute_finetune = { job_input_type: 'literal', value: 'no-such-cluster' };
    await expect(rejectJob('ft-compute', body)).rejects.toThrow(
      "compute 'no-such-cluster' does not exist in this workspace",
    );
  });

  it('rejects a job without training data or model, naming both', async () => {
    const body = pipelineJob('ft-empty');
    delete inputs(body).train_file_path;
    delete inputs(body).mlflow_model_path;
    const error = (await rejectJob('ft-empty', body).catch((e: unknown) => e)) as {
      details?: unknown;
      message: string;
    };
    expect(error.message).toContain("input 'mlflow_model_path' (or 'pytorch_model_path') is missing");
    expect(error.message).toContain('and 1 more problem(s)');
  });

  it('rejects an unknown component, registry model or datastore', async () => {
    const component = pipelineJob('ft-comp');
    (component.properties as PipelineJob).jobs!.chat_completion_pipeline!.componentId =
      'azureml://registries/azureml/components/chat_completion_pipeline/versions/9.9.9';
    await expect(rejectJob('ft-comp', component)).rejects.toThrow(
      "Version '9.9.9' of component 'chat_completion_pipeline' was not found in registry 'azureml' (served: 0.0.57, 0.0.76, 0.0.78, 0.0.82).",
    );
    const model = pipelineJob('ft-model');
    inputs(model).mlflow_model_path = {
      job_input_type: 'mlflow_model',
      uri: REGISTRY_MODEL.replace('/8', '/99'),
    };
    await expect(rejectJob('ft-model', model)).rejects.toThrow(
      "Model 'Phi-4' version '99' was not found in registry 'azureml'.",
    );
    const data = pipelineJob('ft-data');
    inputs(data).train_file_path = {
      job_input_type: 'uri_file',
      uri: 'azureml://datastores/elsewhere/paths/a.jsonl',
    };
    await expect(rejectJob('ft-data', data)).rejects.toThrow(
      "Datastore 'elsewhere' does not exist in this workspace",
    );
  });

  it('rejects changing an existing job but accepts the same body again', async () => {
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-same', pipelineJob('ft-same'));
    const again = await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-same', pipelineJob('ft-same'));
    expect(again.name).toBe('ft-same');
    const changed = pipelineJob('ft-same');
    inputs(changed).num_train_epochs = { job_input_type: 'literal', value: '5' };
    await expect(h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-same', changed)).rejects.toThrow(
      "A job with name 'ft-same' already exists; its definition cannot be changed",
    );
  });

  it('fails a job placed on a compute in state Failed when that step starts', async () => {
    const body = pipelineJob('ft-failed-compute');
    inputs(body).compute_finetune = { job_input_type: 'literal', value: 'failed-cluster' };
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-failed-compute', body);
    const job = await waitUntil(
      () => h.ml.jobs.get(h.rg, h.ws, 'ft-failed-compute'),
      (j) => ['Completed', 'Failed'].includes(j.properties.status!),
    );
    expect(job.properties.status).toBe('Failed');
  });

  it('requires a bearer token, with ARM error bodies and a request id', async () => {
    const reply = await https(
      h.emulator,
      'GET',
      `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}?api-version=2022-10-01`,
    );
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({
      error: {
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
      },
    });
    expect(reply.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('checks api-version: missing and unsupported', async () => {
    const path = `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}/computes/gpu-cluster`;
    const missing = await https(h.emulator, 'GET', path, undefined, { authorization: 'Bearer t' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const old = new AzureMachineLearningWorkspaces(staticCredential, h.emulator.subscriptionId, {
      ...clientOptions(h.emulator),
      apiVersion: '2020-01-01',
    });
    await expect(old.computeOperations.get(h.rg, h.ws, 'gpu-cluster')).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidApiVersionParameter',
    });
  });

  it('answers 404 for a compute or workspace that does not exist', async () => {
    await expect(h.ml.computeOperations.get(h.rg, h.ws, 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    await expect(h.ml.workspaces.get(h.rg, 'other-ws')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('rejects invalid endpoint names like the service', async () => {
    for (const name of ['ab', '1endpoint', 'has_underscore', 'x'.repeat(33)]) {
      await expect(
        h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
          h.rg,
          h.ws,
          name,
          { location: 'eastus', properties: { authMode: 'Key' } },
          poll,
        ),
      ).rejects.toMatchObject({ statusCode: 400, code: 'UserError' });
    }
  });

  it('fails a deployment whose model does not exist, with the reason in its state and logs', async () => {
    await h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      h.rg,
      h.ws,
      ENDPOINT,
      { location: 'eastus', properties: { authMode: 'Key' } },
      poll,
    );
    const model = `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.rg}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws}/models/missing/versions/1`;
    await expect(
      h.ml.onlineDeployments.beginCreateOrUpdateAndWait(
        h.rg,
        h.ws,
        ENDPOINT,
        'blue',
        {
          location: 'eastus',
          properties: { endpointComputeType: 'Managed', model, instanceType: 'Standard_NC24ads_A100_v4' },
        },
        poll,
      ),
    ).rejects.toThrow(
      "The long-running operation has failed. ModelNotFound. Model 'missing' version '1' was not found in workspace 'mlw-autopilot-local'.",
    );
    const deployment = await h.ml.onlineDeployments.get(h.rg, h.ws, ENDPOINT, 'blue');
    expect(deployment.properties.provisioningState).toBe('Failed');
    const logs = await h.ml.onlineDeployments.getLogs(h.rg, h.ws, ENDPOINT, 'blue', {
      containerType: 'InferenceServer',
    });
    expect(logs.content).toContain("Model 'missing' version '1' was not found");
  });

  it('rejects traffic to a deployment that does not exist, and a wrong scoring key', async () => {
    const ep = await h.ml.onlineEndpoints.get(h.rg, h.ws, ENDPOINT);
    ep.properties.traffic = { green: 100 };
    await expect(
      h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(h.rg, h.ws, ENDPOINT, ep, poll),
    ).rejects.toThrow(
      "Traffic names deployment 'green', which does not exist under endpoint 'ep-rejections'.",
    );
    const scored = await https(
      h.emulator,
      'POST',
      ep.properties.scoringUri!,
      { input_data: { input_string: [{ role: 'user', content: 'hi' }] } },
      { authorization: 'Bearer wrong-key' },
    );
    expect(scored.status).toBe(401);
  });

  it('refuses to register a model from a job that has not completed', async () => {
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-running', pipelineJob('ft-running'));
    await expect(
      h.ml.modelVersions.createOrUpdate(h.rg, h.ws, 'm', '1', {
        properties: {
          modelType: 'mlflow_model',
          modelUri: 'azureml://jobs/ft-running/outputs/trained_model',
        },
      }),
    ).rejects.toThrow(
      /Job 'ft-running' is (NotStarted|Queued|Running); a model can only be registered from the outputs of a Completed job./,
    );
  });
});

describe('emulator with a token check', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ acceptToken: (token) => token === 'the-good-token' });
  });
  afterAll(() => h.close());

  it('answers 401 InvalidAuthenticationToken to a token it does not accept', async () => {
    await expect(h.ml.workspaces.get(h.rg, h.ws)).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationToken',
    });
  });
});
