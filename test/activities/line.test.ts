// The serving line's steps (src/activities/line.ts) over the real adapters against the Azure ML
// emulator. Each case uses its own line and endpoint; the model they deploy is registered once per
// file, on first use, so any case also runs alone.
import { describe, expect, it } from 'vitest';
import { heldOutConversations } from '../../src/activities/line.js';
import type { LineLook, PrepareOutput, RegisterOutput } from '../../src/orchestration/contract.js';
import { conversation, unwrap, useActivityStack } from './support.js';

const stack = useActivityStack();

const MODEL_RUN = 'ft-linemodel00000000000';
let registered: Promise<RegisterOutput & { prepared: PrepareOutput }> | undefined;
/** The fine-tuned model every case deploys (registering one takes a whole run's setup). */
async function modelRun(): Promise<RegisterOutput & { prepared: PrepareOutput }> {
  registered ??= stack.registeredModel(MODEL_RUN);
  return registered;
}

const OWNER_TAGS = (line: string) => ({ 'autopilot-owner': 'finetune-autopilot', 'autopilot-line': line });

interface EmulatorState {
  endpoints: { name: string; provisioningState: string; tags: Record<string, string> }[];
  deployments: { endpoint: string; name: string; provisioningState: string }[];
  requests: { endpoint: string; deployment: string; minute: string; count: number }[];
}

async function emulatorState(): Promise<EmulatorState> {
  return (await (await stack.admin('GET', 'state', undefined)).json()) as EmulatorState;
}

/** Scoring requests the emulator counted for one deployment of one endpoint. */
async function requestsFor(endpoint: string, deployment: string): Promise<number> {
  return (await emulatorState()).requests
    .filter((r) => r.endpoint === endpoint && r.deployment === deployment)
    .reduce((sum, r) => sum + r.count, 0);
}

/** Polls lineLook (every 10 ms, as the orchestration does on timers) until `done`. */
async function lookUntil(
  line: string,
  endpointName: string,
  done: (look: LineLook) => boolean,
): Promise<LineLook> {
  for (let i = 0; i < 500; i++) {
    const look = unwrap(await stack.activities.lineLook({ line, endpointName }));
    if (done(look)) return look;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${endpointName} did not get there within 500 looks`);
}

/** The line's endpoint, Succeeded. */
async function readyEndpoint(line: string, endpointName: string): Promise<LineLook> {
  unwrap(await stack.activities.lineEnsureEndpoint({ line, endpointName }));
  return lookUntil(line, endpointName, (l) => l.provisioningState === 'Succeeded');
}

/** The line's endpoint with `deploymentName` of the file's model Succeeded (taking no traffic). */
async function withDeployment(line: string, endpointName: string, deploymentName: string): Promise<void> {
  const { id } = await modelRun();
  await readyEndpoint(line, endpointName);
  unwrap(await stack.activities.lineStartDeployment({ line, endpointName, deploymentName, modelId: id }));
  await lookUntil(
    line,
    endpointName,
    (l) => l.deployments.find((d) => d.name === deploymentName)?.provisioningState === 'Succeeded',
  );
}

/** The line's endpoint with `deploymentName` serving 100% of its traffic. */
async function serving(line: string, endpointName: string, deploymentName: string): Promise<LineLook> {
  await withDeployment(line, endpointName, deploymentName);
  return unwrap(
    await stack.activities.lineSetTraffic({ line, endpointName, traffic: { [deploymentName]: 100 } }),
  );
}

describe('lineEnsureEndpoint', () => {
  it('creates the endpoint tagged with the owner and the line, answering Creating', async () => {
    const line = 'ensure-create';
    const endpointName = 'lensurecreate-ab12';
    expect(await stack.activities.lineEnsureEndpoint({ line, endpointName })).toEqual({
      ok: true,
      value: { exists: true, provisioningState: 'Creating', traffic: {}, deployments: [] },
    });
    const created = (await emulatorState()).endpoints.find((e) => e.name === endpointName);
    expect(created?.tags).toEqual(OWNER_TAGS(line));
  });

  it('answers a look at an endpoint that exists', async () => {
    const line = 'ensure-again';
    const endpointName = 'lensureagain-ab12';
    await readyEndpoint(line, endpointName);
    const again = unwrap(await stack.activities.lineEnsureEndpoint({ line, endpointName }));
    expect(again).toEqual({
      exists: true,
      provisioningState: 'Succeeded',
      scoringUri: expect.stringMatching(new RegExp(`/score/${endpointName}$`)) as unknown,
      traffic: {},
      deployments: [],
    });
  });

  it('refuses an endpoint tagged for another line with LINE.ENDPOINT_NOT_OWNED and changes nothing', async () => {
    const endpointName = 'lensureother-ab12';
    await readyEndpoint('other-line', endpointName);
    const before = (await emulatorState()).endpoints.find((e) => e.name === endpointName);
    const result = await stack.activities.lineEnsureEndpoint({ line: 'my-line', endpointName });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'LINE.ENDPOINT_NOT_OWNED',
        message: `endpoint ${endpointName} exists but is not finetune-autopilot's endpoint for line 'my-line' (its tags say otherwise); it is left untouched. Delete or rename it, or remove the line.`,
      },
    });
    expect((await emulatorState()).endpoints.find((e) => e.name === endpointName)).toEqual(before);
  });

  it('refuses an endpoint without the owner tag (a run endpoint of the same name)', async () => {
    const endpointName = 'lensurerun-ab12';
    unwrap(await stack.activities.startEndpoint({ runId: 'ft-lineensurerun0000000', endpointName }));
    expect(await stack.activities.lineEnsureEndpoint({ line: 'ensure-run', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'LINE.ENDPOINT_NOT_OWNED' },
    });
  });
});

describe('lineStartDeployment', () => {
  it('refuses while the endpoint is not Succeeded with DEPLOY.ENDPOINT_NOT_READY', async () => {
    const line = 'start-notready';
    const endpointName = 'lstartnotready-ab12';
    const { id } = await modelRun();
    // slow enough that the endpoint is still Creating when the deployment is asked for
    expect((await stack.admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 2 })).status).toBe(200);
    try {
      unwrap(await stack.activities.lineEnsureEndpoint({ line, endpointName }));
      expect(
        await stack.activities.lineStartDeployment({
          line,
          endpointName,
          deploymentName: 'v101',
          modelId: id,
        }),
      ).toEqual({
        ok: false,
        error: {
          code: 'DEPLOY.ENDPOINT_NOT_READY',
          message: `endpoint ${endpointName} is Creating, not Succeeded: the deployment waits for it`,
        },
      });
      expect((await emulatorState()).deployments.filter((d) => d.endpoint === endpointName)).toEqual([]);
    } finally {
      await stack.admin('PUT', 'clock', { jobSeconds: 600, lroSeconds: 0.05 });
    }
  });

  it('creates v<version> taking no traffic once the endpoint Succeeded', async () => {
    const line = 'start-ready';
    const endpointName = 'lstartready-ab12';
    const { id, version } = await modelRun();
    await readyEndpoint(line, endpointName);
    const deploymentName = `v${version}`;
    expect(
      await stack.activities.lineStartDeployment({ line, endpointName, deploymentName, modelId: id }),
    ).toEqual({ ok: true, value: { name: deploymentName, provisioningState: 'Creating', model: id } });
    const look = await lookUntil(
      line,
      endpointName,
      (l) => l.deployments[0]?.provisioningState === 'Succeeded',
    );
    expect(look.deployments).toEqual([{ name: deploymentName, provisioningState: 'Succeeded', model: id }]);
    expect(look.traffic).toEqual({});
  });

  it('answers the existing deployment when asked again', async () => {
    const line = 'start-again';
    const endpointName = 'lstartagain-ab12';
    const { id } = await modelRun();
    await withDeployment(line, endpointName, 'v101');
    expect(
      await stack.activities.lineStartDeployment({ line, endpointName, deploymentName: 'v101', modelId: id }),
    ).toEqual({ ok: true, value: { name: 'v101', provisioningState: 'Succeeded', model: id } });
  });
});

describe('lineLook', () => {
  it('answers an absent endpoint as not existing', async () => {
    expect(
      await stack.activities.lineLook({ line: 'look-absent', endpointName: 'llookabsent-ab12' }),
    ).toEqual({ ok: true, value: { exists: false, traffic: {}, deployments: [] } });
  });

  it('reports a watched deployment whose provisioning failed as DEPLOY.FAILED with its logs', async () => {
    const line = 'look-failed';
    const endpointName = 'llookfailed-ab12';
    const { id } = await modelRun();
    await readyEndpoint(line, endpointName);
    const fault = await stack.admin('POST', 'faults', {
      operation: 'OnlineDeployments_CreateOrUpdate',
      provisioningState: 'Failed',
      message: 'CUDA out of memory',
      count: 1,
    });
    expect(fault.status).toBe(201);
    unwrap(
      await stack.activities.lineStartDeployment({ line, endpointName, deploymentName: 'v101', modelId: id }),
    );
    await lookUntil(line, endpointName, (l) => l.deployments[0]?.provisioningState === 'Failed');
    const result = await stack.activities.lineLook({ line, endpointName, watch: 'v101' });
    if (result.ok) throw new Error('a failed watched deployment answered ok');
    expect(result.error.code).toBe('DEPLOY.FAILED');
    expect(result.error.message).toBe(
      `deployment ${endpointName}/v101 ended Failed: see the container logs in details`,
    );
    const details = result.error.details as { provisioningState: string; logs: string };
    expect(details.provisioningState).toBe('Failed');
    expect(details.logs).toContain('CUDA out of memory');
  });

  it('refuses an endpoint of another line', async () => {
    const endpointName = 'llookother-ab12';
    await readyEndpoint('look-other', endpointName);
    expect(await stack.activities.lineLook({ line: 'look-mine', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'LINE.ENDPOINT_NOT_OWNED' },
    });
  });
});

describe('lineSetTraffic', () => {
  it('moves the traffic to a deployment', async () => {
    const line = 'traffic-move';
    const endpointName = 'ltrafficmove-ab12';
    await withDeployment(line, endpointName, 'v101');
    const moved = unwrap(
      await stack.activities.lineSetTraffic({ line, endpointName, traffic: { v101: 100 } }),
    );
    expect(moved.traffic).toEqual({ v101: 100 });
    expect(unwrap(await stack.activities.lineLook({ line, endpointName })).traffic).toEqual({ v101: 100 });
  });

  it('changes nothing when the traffic is already so', async () => {
    const line = 'traffic-same';
    const endpointName = 'ltrafficsame-ab12';
    const first = await serving(line, endpointName, 'v101');
    // any PUT of the endpoint would now fail: the repeat must not send one
    const fault = await stack.admin('POST', 'faults', {
      operation: 'OnlineEndpoints_CreateOrUpdate',
      status: 400,
      message: 'a repeat of the same traffic must not PUT the endpoint',
      count: 1,
    });
    expect(fault.status).toBe(201);
    expect(await stack.activities.lineSetTraffic({ line, endpointName, traffic: { v101: 100 } })).toEqual({
      ok: true,
      value: first,
    });
    // the fault is still armed: no PUT reached the emulator
    const armed = (await (await stack.admin('GET', 'faults', undefined)).json()) as {
      value: { operation: string; remaining: number }[];
    };
    // disarm it with a change that does PUT, so the cases after this one are not affected
    const disarmed = await stack.activities.lineSetTags({ line, endpointName, tags: { 'autopilot-x': 'y' } });
    expect(armed.value).toEqual([
      expect.objectContaining({ operation: 'OnlineEndpoints_CreateOrUpdate', remaining: 1 }),
    ]);
    expect(disarmed).toMatchObject({ ok: false });
  });
});

describe('lineSmokeTest', () => {
  it('scores the named deployment, not the one taking the traffic', async () => {
    const line = 'smoke-named';
    const endpointName = 'lsmokenamed-ab12';
    const { id } = await modelRun();
    await serving(line, endpointName, 'v101');
    unwrap(
      await stack.activities.lineStartDeployment({ line, endpointName, deploymentName: 'v102', modelId: id }),
    );
    await lookUntil(line, endpointName, (l) =>
      l.deployments.some((d) => d.name === 'v102' && d.provisioningState === 'Succeeded'),
    );
    const testPath = `runs/lsmokenamed/test.jsonl`;
    await stack.upload(testPath, `${conversation(3)}\n${conversation(4)}\n`);
    const result = unwrap(
      await stack.activities.lineSmokeTest({ line, endpointName, deploymentName: 'v102', testPath }),
    );
    expect(result.input).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'question 3' },
    ]);
    expect(result.answer).toContain('You asked: "question 3"');
    expect(await requestsFor(endpointName, 'v102')).toBe(1);
    expect(await requestsFor(endpointName, 'v101')).toBe(0);
  });

  it('is ROLLOUT.SMOKE_TEST_FAILED when the deployment does not answer', async () => {
    const line = 'smoke-none';
    const endpointName = 'lsmokenone-ab12';
    await serving(line, endpointName, 'v101');
    const testPath = `runs/lsmokenone/test.jsonl`;
    await stack.upload(testPath, `${conversation(1)}\n`);
    const result = await stack.activities.lineSmokeTest({
      line,
      endpointName,
      deploymentName: 'v109',
      testPath,
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'ROLLOUT.SMOKE_TEST_FAILED' } });
    if (result.ok) return;
    expect(result.error.message).toMatch(
      new RegExp(`^deployment ${endpointName}/v109 did not answer the smoke test: `),
    );
  });

  it('is DATASET.NO_TEST_CONVERSATION for a test file without a conversation', async () => {
    const line = 'smoke-empty';
    const endpointName = 'lsmokeempty-ab12';
    await readyEndpoint(line, endpointName);
    const testPath = `runs/lsmokeempty/test.jsonl`;
    await stack.upload(testPath, '\n');
    expect(
      await stack.activities.lineSmokeTest({ line, endpointName, deploymentName: 'v101', testPath }),
    ).toEqual({
      ok: false,
      error: { code: 'DATASET.NO_TEST_CONVERSATION', message: `${testPath} holds no conversation to score` },
    });
  });
});

describe('lineDeleteDeployment', () => {
  it('refuses a deployment that still takes traffic with LINE.CONFLICT, deleting nothing', async () => {
    const line = 'delete-traffic';
    const endpointName = 'ldeletetraffic-ab12';
    await serving(line, endpointName, 'v101');
    expect(
      await stack.activities.lineDeleteDeployment({ line, endpointName, deploymentName: 'v101' }),
    ).toEqual({
      ok: false,
      error: {
        code: 'LINE.CONFLICT',
        message: `deployment ${endpointName}/v101 still takes 100% of the traffic; it is not deleted`,
      },
    });
    expect(
      (await emulatorState()).deployments.filter((d) => d.endpoint === endpointName).map((d) => d.name),
    ).toEqual(['v101']);
  });

  it('deletes a deployment at 0%; a second delete finds it gone', async () => {
    const line = 'delete-idle';
    const endpointName = 'ldeleteidle-ab12';
    await withDeployment(line, endpointName, 'v101');
    expect(
      await stack.activities.lineDeleteDeployment({ line, endpointName, deploymentName: 'v101' }),
    ).toEqual({ ok: true, value: { deleted: true } });
    await lookUntil(line, endpointName, (l) => l.deployments.length === 0);
    expect(
      await stack.activities.lineDeleteDeployment({ line, endpointName, deploymentName: 'v101' }),
    ).toEqual({ ok: true, value: { deleted: false } });
  });
});

describe('lineSetTags', () => {
  it('sets tags and removes the ones given as null, keeping the owner and line tags', async () => {
    const line = 'tags-set';
    const endpointName = 'ltagsset-ab12';
    await readyEndpoint(line, endpointName);
    unwrap(
      await stack.activities.lineSetTags({
        line,
        endpointName,
        tags: { 'autopilot-champion': 'model-a', 'autopilot-parked-since': '2026-01-01T00:00:00.000Z' },
      }),
    );
    expect((await emulatorState()).endpoints.find((e) => e.name === endpointName)?.tags).toEqual({
      ...OWNER_TAGS(line),
      'autopilot-champion': 'model-a',
      'autopilot-parked-since': '2026-01-01T00:00:00.000Z',
    });
    unwrap(
      await stack.activities.lineSetTags({ line, endpointName, tags: { 'autopilot-parked-since': null } }),
    );
    expect((await emulatorState()).endpoints.find((e) => e.name === endpointName)?.tags).toEqual({
      ...OWNER_TAGS(line),
      'autopilot-champion': 'model-a',
    });
  });
});

describe('lineDeleteEndpoint', () => {
  it('deletes the line endpoint; a second delete finds it gone', async () => {
    const line = 'delete-endpoint';
    const endpointName = 'ldeleteendpoint-ab12';
    await readyEndpoint(line, endpointName);
    expect(await stack.activities.lineDeleteEndpoint({ line, endpointName })).toEqual({
      ok: true,
      value: { deleted: true },
    });
    // waits on the emulator's state: a look while the endpoint vanishes can race its deletion
    for (let i = 0; (await emulatorState()).endpoints.some((e) => e.name === endpointName); i++) {
      if (i > 500) throw new Error(`${endpointName} was not deleted within 500 polls`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await stack.activities.lineDeleteEndpoint({ line, endpointName })).toEqual({
      ok: true,
      value: { deleted: false },
    });
  });

  it('leaves an endpoint of another line alone', async () => {
    const endpointName = 'ldeleteother-ab12';
    await readyEndpoint('delete-other', endpointName);
    expect(await stack.activities.lineDeleteEndpoint({ line: 'delete-mine', endpointName })).toMatchObject({
      ok: false,
      error: { code: 'LINE.ENDPOINT_NOT_OWNED' },
    });
    expect((await emulatorState()).endpoints.find((e) => e.name === endpointName)?.provisioningState).toBe(
      'Succeeded',
    );
  });
});

describe('lineHeldOut', () => {
  it('counts the answers of each deployment to the first `count` held-out conversations', async () => {
    const line = 'heldout-count';
    const endpointName = 'lheldoutcount-ab12';
    await serving(line, endpointName, 'v101');
    const testPath = `runs/lheldoutcount/test.jsonl`;
    await stack.upload(testPath, [1, 2, 3, 4].map(conversation).join('\n'));
    // v109 does not exist: the endpoint answers 404 for it, so it answers none
    expect(
      await stack.activities.lineHeldOut({
        line,
        endpointName,
        deployments: ['v101', 'v109'],
        testPath,
        count: 3,
      }),
    ).toEqual({ ok: true, value: { conversations: 3, answered: { v101: 3, v109: 0 } } });
    expect(await requestsFor(endpointName, 'v101')).toBe(3);
  });
});

describe('heldOutConversations', () => {
  const row = (messages: { role: string; content: string }[]) => JSON.stringify({ messages });

  it('takes the first `count` conversations without their final answer', () => {
    expect(heldOutConversations([1, 2, 3].map(conversation).join('\n'), 2)).toEqual([
      [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'question 1' },
      ],
      [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'question 2' },
      ],
    ]);
  });

  it('drops every trailing assistant message and keeps earlier ones', () => {
    const text = row([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
      { role: 'assistant', content: 'd' },
      { role: 'assistant', content: 'e' },
    ]);
    expect(heldOutConversations(text, 5)).toEqual([
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
    ]);
  });

  it('skips blank lines and conversations that are all answer, without counting them', () => {
    const text = [
      '',
      row([{ role: 'assistant', content: 'only an answer' }]),
      '   ',
      JSON.stringify({}),
      conversation(9),
    ].join('\n');
    expect(heldOutConversations(text, 1)).toEqual([
      [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'question 9' },
      ],
    ]);
  });

  it('keeps only role and content of each message', () => {
    const text = JSON.stringify({
      messages: [{ role: 'user', content: 'q', name: 'someone', weight: 1 }],
    });
    expect(heldOutConversations(text, 1)).toEqual([[{ role: 'user', content: 'q' }]]);
  });

  it('answers nothing for an empty file or a count of 0', () => {
    expect(heldOutConversations('', 3)).toEqual([]);
    expect(heldOutConversations(conversation(1), 0)).toEqual([]);
  });
});
