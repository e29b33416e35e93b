// Fault injection and the simulated clock, through the admin API: error statuses (429 + Retry-After,
// 500), slow answers, failed provisioning, job outcomes, cancel as an LRO, and Event Grid delivery
// faults (drop, duplicate, delay, reorder) plus retries when the webhook fails.
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  clientOptions,
  pipelineJob,
  staticCredential,
  startHarness,
  startWebhook,
  waitUntil,
  type Harness,
  type Webhook,
} from './harness.js';

const poll = { updateIntervalInMs: 20 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('emulator faults', () => {
  let h: Harness;
  let hook: Webhook;
  let jobs = 0;
  beforeAll(async () => {
    h = await startHarness();
    hook = await startWebhook();
    const sub = await admin(h.emulator, 'PUT', 'subscriptions/faults', { endpointUrl: hook.url });
    expect(sub.status).toBe(201);
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  /** Submits a job and fails it at once: exactly one event (RunStatusChanged: Failed) for its run id. */
  /** A job that ends Failed before it is queued: exactly one event (on a slow machine a 1 s job could
   * reach Queued before the outcome lands, and send two). */
  async function oneEvent(): Promise<string> {
    const name = `ft-event-${++jobs}`;
    await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 600 });
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, name, pipelineJob(name));
    await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 1 });
    const outcome = await admin(h.emulator, 'POST', `jobs/${name}/outcome`, { status: 'Failed' });
    expect(outcome.status).toBe(200);
    return name;
  }
  const received = (name: string) => hook.events.filter((e) => e.data.runId === name);

  it('answers 429 with Retry-After for the next call of an operation, then recovers', async () => {
    const fault = await admin(h.emulator, 'POST', 'faults', {
      operation: 'Compute_Get',
      status: 429,
      retryAfterSeconds: 7,
      count: 1,
    });
    expect(fault.status).toBe(201);
    const error = (await h.ml.computeOperations.get(h.rg, h.ws, 'gpu-cluster').catch((e: unknown) => e)) as {
      statusCode: number;
      code: string;
      response: { headers: { get(name: string): string | undefined } };
    };
    expect(error).toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
    expect(error.response.headers.get('retry-after')).toBe('7');
    const compute = await h.ml.computeOperations.get(h.rg, h.ws, 'gpu-cluster');
    expect(compute.name).toBe('gpu-cluster');
  });

  it('answers 500 to the next N calls; the SDK retry policy gets through', async () => {
    await admin(h.emulator, 'POST', 'faults', { operation: 'Jobs_List', status: 500, count: 2 });
    const retrying = new AzureMachineLearningWorkspaces(staticCredential, h.emulator.subscriptionId, {
      ...clientOptions(h.emulator),
      retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 10 },
    });
    const names = [];
    for await (const job of retrying.jobs.list(h.rg, h.ws)) names.push(job.name);
    expect(names).toEqual([]); // no job submitted yet: the list itself got through
    const faults = await admin<{ value: unknown[] }>(h.emulator, 'GET', 'faults');
    expect(faults.body.value).toEqual([]);
  });

  it('slows an operation down by delayMs', async () => {
    await admin(h.emulator, 'POST', 'faults', { operation: 'Workspaces_Get', delayMs: 300 });
    const started = Date.now();
    await h.ml.workspaces.get(h.rg, h.ws);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('fails an endpoint provisioning with the given reason', async () => {
    await admin(h.emulator, 'POST', 'faults', {
      operation: 'OnlineEndpoints_CreateOrUpdate',
      provisioningState: 'Failed',
      message: 'Quota exceeded for Standard_NC6s_v3.',
    });
    await expect(
      h.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
        h.rg,
        h.ws,
        'ep-fails',
        { location: 'eastus', properties: { authMode: 'Key' } },
        poll,
      ),
    ).rejects.toThrow('EndpointProvisioningFailed. Quota exceeded for Standard_NC6s_v3.');
    expect((await h.ml.onlineEndpoints.get(h.rg, h.ws, 'ep-fails')).properties.provisioningState).toBe(
      'Failed',
    );
  });

  it('rejects a malformed fault with a message naming the field', async () => {
    const reply = await admin(h.emulator, 'POST', 'faults', { operation: 'Jobs_Explode', status: 500 });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'InvalidFault' } });
    expect(JSON.stringify(reply.body)).toContain("'operation' must be '*' or one of");
  });

  it('cancels a running job as a long-running operation', async () => {
    await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 5, lroSeconds: 0.2 });
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-cancel', pipelineJob('ft-cancel'));
    await waitUntil(
      () => h.ml.jobs.get(h.rg, h.ws, 'ft-cancel'),
      (j) => j.properties.status === 'Queued',
    );
    await h.ml.jobs.beginCancelAndWait(h.rg, h.ws, 'ft-cancel', poll);
    expect((await h.ml.jobs.get(h.rg, h.ws, 'ft-cancel')).properties.status).toBe('Canceled');
    await hook.waitFor(() => received('ft-cancel').some((e) => e.data.runStatus === 'Canceled'));
    expect(received('ft-cancel').map((e) => e.data.runStatus)).toEqual([
      'Queued',
      'CancelRequested',
      'Canceled',
    ]);
    await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 1, lroSeconds: 0.2 });
  });

  it('ends a running job with the outcome set by the admin API, without RunCompleted', async () => {
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-outcome', pipelineJob('ft-outcome'));
    await admin(h.emulator, 'POST', 'jobs/ft-outcome/outcome', { status: 'Failed', afterSeconds: 0.5 });
    const job = await waitUntil(
      () => h.ml.jobs.get(h.rg, h.ws, 'ft-outcome'),
      (j) => ['Completed', 'Failed'].includes(j.properties.status!),
    );
    expect(job.properties.status).toBe('Failed');
    await hook.waitFor(() => received('ft-outcome').some((e) => e.data.runStatus === 'Failed'));
    expect(received('ft-outcome').some((e) => e.eventType.endsWith('RunCompleted'))).toBe(false);
    const again = await admin(h.emulator, 'POST', 'jobs/ft-outcome/outcome', { status: 'Completed' });
    expect(again.status).toBe(409);
  });

  it('applies the simulated clock to new jobs and validates it', async () => {
    const bad = await admin(h.emulator, 'PUT', 'clock', { jobSeconds: -1 });
    expect(bad.status).toBe(400);
    const clock = await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 0.3 });
    expect(clock.body).toEqual({ jobSeconds: 0.3, lroSeconds: 0.2 });
    const started = Date.now();
    await h.ml.jobs.createOrUpdate(h.rg, h.ws, 'ft-fast', pipelineJob('ft-fast'));
    await waitUntil(
      () => h.ml.jobs.get(h.rg, h.ws, 'ft-fast'),
      (j) => j.properties.status === 'Completed',
    );
    expect(Date.now() - started).toBeLessThan(1500);
    await admin(h.emulator, 'PUT', 'clock', { jobSeconds: 1 });
  });

  it('drops an event delivery', async () => {
    await admin(h.emulator, 'POST', 'faults', { delivery: 'drop', count: 1 });
    const dropped = await oneEvent();
    const kept = await oneEvent();
    await hook.waitFor(() => received(kept).length === 1);
    await sleep(100);
    expect(received(dropped)).toEqual([]);
  });

  it('duplicates an event delivery (same event id twice)', async () => {
    await admin(h.emulator, 'POST', 'faults', { delivery: 'duplicate', count: 1 });
    const name = await oneEvent();
    await hook.waitFor(() => received(name).length === 2);
    const [a, b] = received(name);
    expect(a!.id).toBe(b!.id);
  });

  it('delays an event delivery so a later event overtakes it', async () => {
    await admin(h.emulator, 'POST', 'faults', { delivery: 'delay', delayMs: 300, count: 1 });
    const late = await oneEvent();
    const early = await oneEvent();
    await hook.waitFor(() => received(late).length === 1 && received(early).length === 1);
    const order = hook.events.map((e) => e.data.runId).filter((id) => id === late || id === early);
    expect(order).toEqual([early, late]);
  });

  it('reorders an event delivery behind the next one', async () => {
    await admin(h.emulator, 'POST', 'faults', { delivery: 'reorder', count: 1 });
    const first = await oneEvent();
    const second = await oneEvent();
    await hook.waitFor(() => received(first).length === 1 && received(second).length === 1);
    const order = hook.events.map((e) => e.data.runId).filter((id) => id === first || id === second);
    expect(order).toEqual([second, first]);
  });

  it('retries with backoff while the webhook fails, then delivers', async () => {
    hook.answer = 500;
    const name = await oneEvent();
    await waitUntil(
      () => admin<{ subscriptions: { name: string; failedAttempts: number }[] }>(h.emulator, 'GET', 'state'),
      (s) => (s.body.subscriptions.find((x) => x.name === 'faults')?.failedAttempts ?? 0) >= 2,
    );
    hook.answer = 200;
    await hook.waitFor(() => received(name).length === 1);
    expect(Number(received(name)[0]!.headers['aeg-delivery-count'])).toBeGreaterThanOrEqual(2);
  });

  it('refuses a subscription whose endpoint fails the validation handshake', async () => {
    const reply = await admin(h.emulator, 'PUT', 'subscriptions/broken', {
      endpointUrl: 'http://127.0.0.1:9/nothing-here',
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'WebhookValidationFailed' } });
  });
});
