// The deploy steps, smokeTest and cleanup (src/activities/deployment.ts) against the Azure ML
// emulator. Each case uses its own endpoint; the model they deploy is registered once per file,
// on first use, so any case also runs alone.
import { describe, expect, it } from 'vitest';
import type { PrepareOutput, RegisterOutput } from '../../src/orchestration/contract.js';
import { smokeTestMessages } from '../../src/activities/deployment.js';
import { deployNow } from '../support/deploy.js';
import { conversation, useActivityStack } from './support.js';

const stack = useActivityStack();

const MODEL_RUN = 'ft-deploymodel000000000';
let registered: Promise<RegisterOutput & { prepared: PrepareOutput }> | undefined;
/** The fine-tuned model every case deploys (registering one takes a whole run's setup). */
async function modelRun(): Promise<RegisterOutput & { prepared: PrepareOutput }> {
  registered ??= stack.registeredModel(MODEL_RUN);
  return registered;
}
async function modelId(): Promise<string> {
  return (await modelRun()).id;
}

describe('the deploy steps', () => {
  it('return before provisioning ends, and each can run again', async () => {
    const runId = 'ft-deployslow0000000000';
    const endpointName = 'ft-deployslow00-ab12';
    const model = await stack.resolvedModel();
    const trained = await modelId();
    // slow enough that the assertions below see the endpoint still provisioning
    expect((await stack.admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 2 })).status).toBe(200);
    try {
      const input = { runId, endpointName };
      const started = await stack.activities.startEndpoint({
        ...input,
        ...(model.inferenceAllowList ? { inferenceAllowList: model.inferenceAllowList } : {}),
      });
      // the PUT was accepted: the endpoint is still provisioning
      expect(started).toEqual({ ok: true, value: { provisioningState: 'Creating', created: true } });
      expect(await stack.activities.getDeploymentState(input)).toEqual({
        ok: true,
        value: { endpoint: 'Creating' },
      });
      // a deployment waits for its endpoint
      expect(await stack.activities.startDeployment({ ...input, modelId: trained })).toMatchObject({
        ok: false,
        error: { code: 'DEPLOY.ENDPOINT_NOT_READY' },
      });
      expect(await stack.activities.startEndpoint(input)).toEqual({
        ok: true,
        value: { provisioningState: 'Creating', created: false },
      });
    } finally {
      await stack.admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 0.05 });
    }
  });

  it('end with the deployment serving all traffic; repeating them changes nothing', async () => {
    const endpointName = 'ft-deployserve0-ab12';
    const input = { runId: 'ft-deployserve000000000', endpointName, modelId: await modelId() };
    const first = await deployNow(stack.activities, input);
    if (!first.ok) throw new Error(`${first.error.code}: ${first.error.message}`);
    expect(first.value.name).toBe(endpointName);
    expect(first.value.scoringUri).toMatch(new RegExp(`/score/${endpointName}$`));
    expect(await stack.activities.getDeploymentState(input)).toEqual({
      ok: true,
      value: { endpoint: 'Succeeded', deployment: 'Succeeded' },
    });
    expect(await stack.activities.startDeployment(input)).toEqual({
      ok: true,
      value: { deploymentName: 'demo', provisioningState: 'Succeeded', created: false },
    });
    expect(await stack.activities.setTraffic(input)).toEqual(first);
    expect(await deployNow(stack.activities, input)).toEqual(first);
  });

  it('refuse an endpoint another run created', async () => {
    const endpointName = 'ft-deployowned0-ab12';
    const owner = await stack.activities.startEndpoint({ runId: 'ft-deployowned000000000', endpointName });
    expect(owner.ok).toBe(true);
    expect(await stack.activities.startEndpoint({ runId: 'ft-someone-else', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
    expect(
      await stack.activities.getDeploymentState({ runId: 'ft-someone-else', endpointName }),
    ).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
  });

  it('a deployment whose provisioning fails is DEPLOY.FAILED with its container logs', async () => {
    const trained = await modelId();
    const fault = await stack.admin('POST', 'faults', {
      operation: 'OnlineDeployments_CreateOrUpdate',
      provisioningState: 'Failed',
      message: 'CUDA out of memory',
      count: 1,
    });
    expect(fault.status).toBe(201);
    const result = await deployNow(stack.activities, {
      runId: 'ft-crash',
      endpointName: 'ft-crash00000000-ef56',
      modelId: trained,
    });
    // reported by the getDeploymentState poll that found the deployment Failed
    expect(result).toMatchObject({ ok: false, error: { code: 'DEPLOY.FAILED' } });
    if (result.ok) return;
    expect(result.error.message).toBe(
      'deployment ft-crash00000000-ef56/demo ended Failed: see the container logs in details',
    );
    expect((result.error.details as { provisioningState: string }).provisioningState).toBe('Failed');
    expect((result.error.details as { logs: string }).logs).toContain('CUDA out of memory');
    // the endpoint it made is still there for the orchestrator's cleanup step to delete
    expect(
      await stack.activities.cleanup({ runId: 'ft-crash', endpointName: 'ft-crash00000000-ef56' }),
    ).toEqual({
      ok: true,
      value: { deleted: true },
    });
  });
});

describe('smokeTest', () => {
  it('asks the question of a conversation prepare held out, in the form prepare wrote it', async () => {
    const runId = 'ft-deploysmokeprep00000';
    const endpointName = 'ft-deploysmokep-ab12';
    const { id, prepared } = await modelRun();
    const endpoint = await deployNow(stack.activities, { runId, endpointName, modelId: id });
    if (!endpoint.ok) throw new Error(endpoint.error.message);
    const result = await stack.activities.smokeTest({
      runId,
      endpointName,
      scoringUri: endpoint.value.scoringUri,
      testPath: prepared.testPath,
    });
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    // every conversation of the dataset is system, user i, assistant i (support.ts conversation())
    expect(result.value.input).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: expect.stringMatching(/^question \d+$/) as unknown },
    ]);
    expect(result.value.answer.length).toBeGreaterThan(0);
  });

  it('scores the first held-out conversation without its answer', async () => {
    const runId = 'ft-deploysmoke000000000';
    const endpointName = 'ft-deploysmoke0-ab12';
    const endpoint = await deployNow(stack.activities, { runId, endpointName, modelId: await modelId() });
    if (!endpoint.ok) throw new Error(endpoint.error.message);
    const testPath = `runs/${runId}/test.jsonl`;
    await stack.upload(testPath, `${conversation(7)}\n${conversation(8)}\n`);
    const result = await stack.activities.smokeTest({
      runId,
      endpointName,
      scoringUri: endpoint.value.scoringUri,
      testPath,
    });
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    expect(result.value.input).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'question 7' },
    ]);
    expect(result.value.answer.length).toBeGreaterThan(0);
  });
});

describe('cleanup', () => {
  it('deletes the run endpoint; a second cleanup finds nothing', async () => {
    const runId = 'ft-deployclean000000000';
    const endpointName = 'ft-deployclean0-ab12';
    expect((await deployNow(stack.activities, { runId, endpointName, modelId: await modelId() })).ok).toBe(
      true,
    );
    expect(await stack.activities.cleanup({ runId, endpointName })).toEqual({
      ok: true,
      value: { deleted: true },
    });
    expect(await stack.activities.cleanup({ runId, endpointName })).toEqual({
      ok: true,
      value: { deleted: false },
    });
  });

  it('leaves an endpoint of another run alone', async () => {
    const other = await deployNow(stack.activities, {
      runId: 'ft-other',
      endpointName: 'ft-other0000000-cd34',
      modelId: await modelId(),
    });
    expect(other.ok).toBe(true);
    expect(
      await stack.activities.cleanup({
        runId: 'ft-deployclean000000000',
        endpointName: 'ft-other0000000-cd34',
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'DEPLOY.ENDPOINT_NOT_OWNED' },
    });
  });
});

describe('smokeTestMessages', () => {
  it('is the first conversation without its trailing assistant answers, blank lines skipped', () => {
    const jsonl = [
      '',
      JSON.stringify({
        messages: [
          { role: 'user', content: 'hi', name: 'extra fields dropped' },
          { role: 'assistant', content: 'a1' },
          { role: 'assistant', content: 'a2' },
        ],
      }),
      conversation(2),
    ].join('\n');
    expect(smokeTestMessages(jsonl)).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('skips a conversation that is only assistant turns', () => {
    const jsonl = `${JSON.stringify({ messages: [{ role: 'assistant', content: 'a' }] })}\n${conversation(3)}`;
    expect(smokeTestMessages(jsonl)).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'question 3' },
    ]);
  });

  it('is undefined for a file with no conversation to ask', () => {
    expect(smokeTestMessages('\n{"messages": []}\n')).toBeUndefined();
  });
});
