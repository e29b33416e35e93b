// End to end on the real local stack: a dataset dropped under incoming/ runs through every step;
// a duplicated storage event makes no second run; a bad dataset stops at validate; the HTTP API
// (start, status, list, cancel, keys, errors); and the teardown timer deleting only idle endpoints
// this app owns. One stack for the file (starting one is expensive); each case sets up what it
// needs, so any case runs alone with -t. The cases about the happy-path run (its duplicate event,
// its idle endpoint) get it from theHappyRun(), which the first case to ask starts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import { computeRunId } from '../../src/domain/runId.js';
import type { RunView } from '../../src/domain/runView.js';
import { OWNER_TAG_VALUE, Tag } from '../../src/names.js';
import {
  dumpLogsOnFailure,
  jobsOfRun,
  score,
  startE2eStack,
  stepStatus,
  waitFor,
  waitForEnd,
  waitForRun,
  type E2eStack,
} from './support.js';

// Idle time is real time and request metrics come in 1-minute buckets: an endpoint last called at
// t is deleted between t + IDLE_WINDOW and t + 60 s + IDLE_WINDOW (plus one sweep).
const TEARDOWN = {
  IDLE_WINDOW_SECONDS: '20',
  // no grace: only "its run is still in progress" protects an endpoint being deployed
  IDLE_GRACE_SECONDS: '0',
  TEARDOWN_SCHEDULE: '*/3 * * * * *',
  TEARDOWN_DRY_RUN: 'false',
  TEARDOWN_MAX_DELETIONS: '5',
};
const RUN_TIMEOUT_MS = 60_000;
const HAPPY_DATASET = 'incoming/e2e-happy/train.jsonl';
const EXPECTED_SUCCEEDED = [
  'validate',
  'prepare',
  'resolveModel',
  'checkCompute',
  'submit',
  'train',
  'metrics',
  'register',
  'deploy',
  'smokeTest',
];

let e2e: E2eStack;
/** Endpoints made through ARM (not by a run) that the teardown must leave alone. */
const suffix = randomBytes(2).toString('hex');
const UNOWNED_ENDPOINT = `e2e-unowned-${suffix}`;
const KEPT_ENDPOINT = `e2e-kept-${suffix}`;

interface HappyRun {
  readonly runId: string;
  readonly view: RunView;
  /** The admin API's answers to adding the slow-deployment fault and to clearing it. */
  readonly faultStatus: { added: number; addedText: string; cleared: number };
}
let happyRun: Promise<HappyRun> | undefined;
/** The run of HAPPY_DATASET to its end: started once per file, by the first case that needs it. */
function theHappyRun(): Promise<HappyRun> {
  happyRun ??= (async () => {
    // the deployment answers late: teardown sweeps (every 3 s) see the endpoint without traffic
    const slow = await e2e.admin('POST', 'faults', {
      operation: 'OnlineDeployments_CreateOrUpdate',
      delayMs: 4_000,
    });
    const { runId } = await e2e.upload(HAPPY_DATASET, demoDataset(240));
    const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
    const cleared = await e2e.admin('DELETE', 'faults');
    return {
      runId,
      view,
      faultStatus: { added: slow.status, addedText: slow.text, cleared: cleared.status },
    };
  })();
  return happyRun;
}

beforeAll(async () => {
  e2e = await startE2eStack({ settings: TEARDOWN, storageEvents: { duplicate: true } });
  // Created now so they are well past the grace period when the teardown test looks.
  const create = (name: string, tags: Record<string, string>) =>
    e2e.arm.onlineEndpoints.beginCreateOrUpdateAndWait(
      e2e.rg,
      e2e.ws,
      name,
      {
        location: e2e.stack.emulator.location,
        tags,
        identity: { type: 'SystemAssigned' },
        properties: { authMode: 'Key' },
      },
      { updateIntervalInMs: 250 },
    );
  await create(UNOWNED_ENDPOINT, { team: 'someone-else' });
  await create(KEPT_ENDPOINT, { [Tag.owner]: OWNER_TAG_VALUE, [Tag.keep]: 'true' });
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

describe('a dataset dropped under incoming/', () => {
  dumpLogsOnFailure(() => e2e);

  test('runs through every step: job, model, endpoint serving, files in the container', async () => {
    const { runId, view, faultStatus } = await theHappyRun();
    expect(faultStatus.added, faultStatus.addedText).toBe(201);
    expect(faultStatus.cleared).toBe(204);

    expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
    expect(view.runId).toBe(runId);
    expect(view.dataset).toMatchObject({ container: e2e.stack.trainingContainer, path: HAPPY_DATASET });
    for (const step of EXPECTED_SUCCEEDED) expect(stepStatus(view, step), step).toBe('succeeded');
    expect(stepStatus(view, 'gate')).toBe('skipped'); // no GATE_METRIC configured
    expect(stepStatus(view, 'cleanup')).toBe('skipped');
    for (const step of view.steps.filter((s) => s.status === 'succeeded')) {
      expect(Date.parse(step.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(step.startedAt ?? ''));
    }
    expect(view.jobName).toBe(runId);
    expect(Object.keys(view.metrics ?? {}).length).toBeGreaterThan(0);

    // the job: exactly one, named after the run, completed
    const jobs = await jobsOfRun(e2e, runId);
    expect(jobs.map((j) => [j.name, j.status])).toEqual([[runId, 'Completed']]);

    // the model, read back through ARM
    const model = view.model!;
    expect(model).toBeDefined();
    const registered = await e2e.arm.modelVersions.get(e2e.rg, e2e.ws, model.name ?? '', model.version ?? '');
    expect(registered.id?.toLowerCase()).toBe(model.id?.toLowerCase());
    expect(registered.properties.modelType).toBe('mlflow_model');
    expect(registered.properties.modelUri).toBe(`azureml://jobs/${runId}/outputs/trained_model`);
    expect(registered.properties.tags?.[Tag.runId]).toBe(runId);

    // the endpoint: owned, serving, answering with the key
    const endpoint = view.endpoint!;
    expect(endpoint).toBeDefined();
    const served = await e2e.arm.onlineEndpoints.get(e2e.rg, e2e.ws, endpoint.name);
    expect(served.properties.provisioningState).toBe('Succeeded');
    expect(served.properties.scoringUri).toBe(endpoint.scoringUri);
    // the model's deployment on its line: `v` + the registered model version
    expect(served.properties.traffic).toEqual({ [`v${model.version ?? ''}`]: 100 });
    // the endpoint is the line's (the dataset's name): owned, naming its line and its champion model
    expect(view.line).toBe('e2e-happy');
    expect(served.tags).toMatchObject({
      [Tag.owner]: OWNER_TAG_VALUE,
      [Tag.line]: 'e2e-happy',
      [Tag.champion]: model.id,
    });
    // while the line deployed it, the teardown left it alone although it had no traffic yet
    expect(
      e2e.logs.some((l) =>
        l.includes(`kept ${endpoint.name}: line 'e2e-happy' has no deployment taking traffic`),
      ),
    ).toBe(true);
    const keys = await e2e.arm.onlineEndpoints.listKeys(e2e.rg, e2e.ws, endpoint.name);
    const answer = await score(e2e, endpoint.scoringUri, keys.primaryKey!, 'What is LoRA?');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).toContain('What is LoRA?');
    expect(typeof view.smokeTest?.answer).toBe('string');
    expect(view.smokeTest!.answer.length).toBeGreaterThan(0);
    expect(view.smokeTest!.input).toBeDefined();

    // what the run wrote under runs/<id>/
    const report = JSON.parse((await e2e.readBlob(`runs/${runId}/report.json`)) ?? 'null');
    expect(report).toMatchObject({ valid: true, format: 'jsonl', rows: 240, validRows: 240, errors: [] });
    const train = await e2e.readBlob(`runs/${runId}/train.jsonl`);
    const test = await e2e.readBlob(`runs/${runId}/test.jsonl`);
    const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l.trim() !== '');
    expect(lines(train).length).toBeGreaterThan(0);
    expect(lines(test).length).toBeGreaterThan(0);
    expect(lines(train).length + lines(test).length).toBe(240);
    for (const line of [...lines(train), ...lines(test)]) {
      expect(Array.isArray((JSON.parse(line) as { messages?: unknown }).messages)).toBe(true);
    }
    const summary = JSON.parse((await e2e.readBlob(`runs/${runId}/summary.json`)) ?? 'null');
    expect(summary).toMatchObject({ runId, status: 'Succeeded', jobName: runId });
  }, 90_000);

  test('the same BlobCreated event delivered twice (and once more, late) makes one run and one job', async () => {
    const { runId } = await theHappyRun();
    // the publisher delivered the event twice (stack option duplicate), the app saw the copy
    expect(
      e2e.logs.some(
        (l) => l.includes(`delivered BlobCreated`) && l.includes(HAPPY_DATASET) && l.includes('(twice)'),
      ),
    ).toBe(true);
    const duplicateLine = `run ${runId} already exists for ${HAPPY_DATASET}; duplicate event ignored`;
    await waitFor(
      'the first duplicate to be ignored',
      () => (e2e.logs.some((l) => l.includes(duplicateLine)) ? true : undefined),
      { timeoutMs: 5_000 },
    );

    // Event Grid may redeliver much later: the same event once more, after the run ended
    const blob = e2e.container.getBlobClient(HAPPY_DATASET);
    const properties = await blob.getProperties();
    const webhook = `${e2e.stack.hostUrl}/runtime/webhooks/eventgrid?functionName=datasetUploaded&code=${e2e.stack.keys.systemKeys.eventgrid_extension}`;
    const event = {
      id: `late-${suffix}`,
      topic: `/subscriptions/${e2e.stack.emulator.subscriptionId}/resourceGroups/${e2e.rg}/providers/Microsoft.Storage/storageAccounts/devstoreaccount1`,
      subject: `/blobServices/default/containers/${e2e.stack.trainingContainer}/blobs/${HAPPY_DATASET}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: new Date().toISOString(),
      dataVersion: '',
      metadataVersion: '1',
      data: {
        api: 'PutBlob',
        eTag: properties.etag,
        contentType: 'application/x-ndjson',
        contentLength: properties.contentLength,
        blobType: 'BlockBlob',
        url: blob.url,
        sequencer: '0'.repeat(32),
      },
    };
    const before = e2e.logs.filter((l) => l.includes(duplicateLine)).length;
    const delivered = await fetch(webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([event]),
    });
    expect([200, 202]).toContain(delivered.status);
    await waitFor(
      'the late duplicate to be ignored',
      () => (e2e.logs.filter((l) => l.includes(duplicateLine)).length > before ? true : undefined),
      { timeoutMs: 10_000 },
    );

    const listed = await e2e.api('GET', '/api/runs?top=100');
    expect(listed.status).toBe(200);
    const runsOfDataset = (listed.body.runs as RunView[]).filter((r) => r.dataset.path === HAPPY_DATASET);
    expect(runsOfDataset.map((r) => r.runId)).toEqual([runId]);
    expect((await jobsOfRun(e2e, runId)).length).toBe(1);
    expect((await e2e.run(runId))?.status).toBe('Succeeded');
  }, 90_000); // alone, it waits for the happy-path run first

  test('a bad dataset fails at validate with line-numbered findings, and submits no job', async () => {
    const good = demoDataset(3).trimEnd().split('\n');
    const bad = [
      good[0],
      '{"messages": [{"role": "user", "content": "hi"}',
      good[1],
      JSON.stringify({
        messages: [
          { role: 'robot', content: 'beep' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
      good[2],
    ].join('\n');
    const path = 'incoming/e2e-bad.jsonl';
    const { runId } = await e2e.upload(path, `${bad}\n`);
    const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);

    expect(view.status).toBe('Failed');
    expect(view.step).toBe('validate');
    expect(stepStatus(view, 'validate')).toBe('failed');
    // the steps after it never ran
    for (const step of ['prepare', 'submit', 'train', 'deploy'])
      expect(stepStatus(view, step), step).toBe('skipped');
    expect(view.error).toMatchObject({ step: 'validate', code: 'DATASET.INVALID' });
    const details = view.error!.details as { line: number; code: string; message: string }[];
    expect(details.map((d) => [d.line, d.code])).toEqual([
      [2, 'DATASET.INVALID_JSON'],
      [4, 'DATASET.INVALID_ROLE'],
    ]);
    for (const finding of details) expect(finding.message.length).toBeGreaterThan(0);

    const report = JSON.parse((await e2e.readBlob(`runs/${runId}/report.json`)) ?? 'null');
    expect(report).toMatchObject({ valid: false, rows: 5, validRows: 3 });
    expect((report.errors as { line: number }[]).map((f) => f.line)).toEqual([2, 4]);
    expect(await e2e.readBlob(`runs/${runId}/train.jsonl`)).toBeUndefined();
    expect(await jobsOfRun(e2e, runId)).toEqual([]);
    expect((await e2e.emulatorState()).jobs.some((j) => j.name === runId)).toBe(false);
  }, 90_000);
});

describe('the HTTP API', () => {
  dumpLogsOnFailure(() => e2e);
  const DATASET = 'incoming/e2e-api/train.jsonl';
  const OVERRIDES = { num_train_epochs: 1 };

  test('starts, shows, lists, pages and cancels runs; checks keys and bodies', async () => {
    // the list below must hold a finished run beside this case's own
    const { runId: happyRunId } = await theHappyRun();
    const { runId: eventRunId, etag } = await e2e.upload(DATASET, demoDataset(240));
    const requested = computeRunId({
      container: e2e.stack.trainingContainer,
      path: DATASET,
      etag,
      overrides: OVERRIDES,
    }).runId;

    // keys: none, wrong, and the master/system keys are never needed by a caller
    for (const key of [null, 'not-the-key']) {
      const list = await e2e.api('GET', '/api/runs', { key });
      expect(list.status, `GET /api/runs with key ${key}`).toBe(401);
      const start = await e2e.api('POST', '/api/runs', { key, body: { dataset: DATASET } });
      expect(start.status).toBe(401);
      const cancel = await e2e.api('POST', `/api/runs/${eventRunId}/cancel`, { key });
      expect(cancel.status).toBe(401);
    }
    const byQuery = await fetch(`${e2e.stack.hostUrl}/api/runs?top=1&code=${e2e.stack.functionKey}`);
    expect(byQuery.status).toBe(200);

    // POST: 202 + Location + run view; the same request again: 200 with that run
    const started = await e2e.api('POST', '/api/runs', { body: { dataset: DATASET, overrides: OVERRIDES } });
    expect(started.status, started.text).toBe(202);
    expect(started.headers.get('location')).toBe(`/api/runs/${requested}`);
    expect(started.body).toMatchObject({
      runId: requested,
      status: 'Running',
      dataset: { container: e2e.stack.trainingContainer, path: DATASET, etag },
    });
    const again = await e2e.api('POST', '/api/runs', { body: { dataset: DATASET, overrides: OVERRIDES } });
    expect(again.status, again.text).toBe(200);
    expect(again.body.runId).toBe(requested);
    expect(again.headers.get('location')).toBe(`/api/runs/${requested}`);
    // force: a new run of the same dataset version and overrides
    const forced = await e2e.api('POST', '/api/runs', {
      body: { dataset: DATASET, overrides: OVERRIDES, force: true },
    });
    expect(forced.status, forced.text).toBe(202);
    expect(forced.body.runId).toBe(`${requested}-r1`);
    expect(forced.headers.get('location')).toBe(`/api/runs/${requested}-r1`);

    // GET one
    const one = await e2e.api('GET', `/api/runs/${requested}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ runId: requested, dataset: { path: DATASET } });
    expect(Array.isArray(one.body.steps)).toBe(true);

    // 400 with every problem of the body; bad JSON; bad paging; 404s
    const badBody = await e2e.api('POST', '/api/runs', {
      body: { dataset: 42, overrides: [1], force: 'yes', colour: 'blue' },
    });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.code).toBe('REQUEST.INVALID_BODY');
    expect((badBody.body.error.details as { field: string }[]).map((d) => d.field).sort()).toEqual([
      'colour',
      'dataset',
      'force',
      'overrides',
    ]);
    const badJson = await e2e.api('POST', '/api/runs', { body: '{"dataset": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('REQUEST.INVALID_JSON');
    const badOverrides = await e2e.api('POST', '/api/runs', {
      body: { dataset: DATASET, overrides: { num_train_epochs: 'many', no_such_parameter: 1 } },
    });
    expect(badOverrides.status, badOverrides.text).toBe(400);
    expect(badOverrides.body.error.code).toMatch(/^FINETUNE\./);
    const notADataset = await e2e.api('POST', '/api/runs', { body: { dataset: 'elsewhere/x.jsonl' } });
    expect(notADataset.status).toBe(400);
    const missing = await e2e.api('POST', '/api/runs', { body: { dataset: 'incoming/nope/train.jsonl' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('DATASET.NOT_FOUND');
    const badTop = await e2e.api('GET', '/api/runs?top=0');
    expect(badTop.status).toBe(400);
    expect(badTop.body.error.code).toBe('REQUEST.INVALID_QUERY');
    const badToken = await e2e.api('GET', '/api/runs?continuationToken=garbage');
    expect(badToken.status).toBe(400);
    const unknown = await e2e.api('GET', '/api/runs/ft-00000000000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('RUN.NOT_FOUND');
    const unknownCancel = await e2e.api('POST', '/api/runs/ft-00000000000000000000/cancel');
    expect(unknownCancel.status).toBe(404);

    // the event's own run exists too (overrides {}): the list has every run once, across pages
    await waitForRun(e2e, eventRunId, 'to be started by its BlobCreated event', () => true, 20_000);
    const all = await e2e.api('GET', '/api/runs?top=100');
    expect(all.status).toBe(200);
    expect(all.body.continuationToken).toBeUndefined();
    const allIds = (all.body.runs as RunView[]).map((r) => r.runId);
    expect(allIds).toEqual(expect.arrayContaining([happyRunId, eventRunId, requested, `${requested}-r1`]));
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await e2e.api(
        'GET',
        `/api/runs?top=2${token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`}`,
      );
      expect(page.status, page.text).toBe(200);
      expect((page.body.runs as RunView[]).length).toBeLessThanOrEqual(2);
      paged.push(...(page.body.runs as RunView[]).map((r) => r.runId));
      token = page.body.continuationToken as string | undefined;
      pages += 1;
    } while (token !== undefined && pages < 20);
    expect(paged).toEqual(allIds);
    expect(pages).toBe(Math.ceil(allIds.length / 2));

    // cancel while the job trains: the run ends Canceled and the job is cancelled in Azure ML
    await waitForRun(
      e2e,
      requested,
      'to be training',
      (v) => stepStatus(v, 'train') === 'running' || v.status !== 'Running',
      RUN_TIMEOUT_MS,
    );
    const cancel = await e2e.api('POST', `/api/runs/${requested}/cancel`);
    expect(cancel.status, cancel.text).toBe(202);
    expect(cancel.headers.get('location')).toBe(`/api/runs/${requested}`);
    // the other two runs are not needed: cancel them too (wherever they are)
    for (const other of [eventRunId, `${requested}-r1`]) {
      expect((await e2e.api('POST', `/api/runs/${other}/cancel`)).status).toBe(202);
    }
    const canceled = await waitForEnd(e2e, requested, RUN_TIMEOUT_MS);
    expect(canceled.status).toBe('Canceled');
    expect(canceled.endpoint).toBeUndefined();
    const jobs = await waitFor(
      `the job ${requested} to be Canceled in the emulator`,
      async () => {
        const found = await jobsOfRun(e2e, requested);
        return found.length === 1 && found[0]!.status === 'Canceled' ? found : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(jobs.map((j) => j.name)).toEqual([requested]);
    const cancelAgain = await e2e.api('POST', `/api/runs/${requested}/cancel`);
    expect(cancelAgain.status).toBe(409);
    expect(cancelAgain.body.error.code).toBe('RUN.NOT_RUNNING');
    for (const other of [eventRunId, `${requested}-r1`]) {
      expect((await waitForEnd(e2e, other, RUN_TIMEOUT_MS)).status, other).toBe('Canceled');
    }
  }, 180_000); // alone, it waits for the happy-path run first
});

describe('the idle-endpoint teardown', () => {
  dumpLogsOnFailure(() => e2e);

  test('parks the idle line this app owns (deployments gone, endpoint kept), never touching an unowned or keep-tagged one', async () => {
    const happy = await theHappyRun();
    const endpoint = happy.view.endpoint?.name;
    expect(endpoint, 'needs the happy-path endpoint').toBeDefined();
    const exists = async (name: string): Promise<boolean> =>
      (await e2e.emulatorState()).endpoints.some((e) => e.name === name);
    const deploymentsOf = async (name: string): Promise<string[]> =>
      (await e2e.emulatorState()).deployments.filter((d) => d.endpoint === name).map((d) => d.name);

    // last used by the happy-path run (its smoke test, and the first case's score); the window is 20 s but buckets are a minute wide
    const parking = `idleEndpointTeardown: parked ${endpoint}: no requests in the last ${TEARDOWN.IDLE_WINDOW_SECONDS} s`;
    await waitFor(
      `the teardown to park ${endpoint}`,
      async () =>
        (await deploymentsOf(endpoint!)).length === 0 && e2e.logs.some((l) => l.includes(parking))
          ? true
          : undefined,
      { timeoutMs: 150_000, intervalMs: 1_000 },
    );
    const line = await waitFor(
      'the line to say parked',
      async () => {
        const response = await e2e.api('GET', `/api/lines/${happy.view.line ?? ''}`);
        return response.body?.state === 'parked' ? (response.body as { parkedSince?: string }) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(line.parkedSince).toBeDefined();
    // a full sweep after that one, with every endpoint past its grace period, still kept the others
    const sweepsBefore = e2e.logs.length;
    await waitFor(
      'one more complete teardown sweep',
      () =>
        e2e.logs.slice(sweepsBefore).some((l) => /idleEndpointTeardown: \d+ owned endpoint\(s\)/.test(l))
          ? true
          : undefined,
      { timeoutMs: 15_000 },
    );
    expect(await exists(UNOWNED_ENDPOINT)).toBe(true);
    expect(await exists(KEPT_ENDPOINT)).toBe(true);
    const kept = await e2e.arm.onlineEndpoints.get(e2e.rg, e2e.ws, KEPT_ENDPOINT);
    expect(kept.properties.provisioningState).toBe('Succeeded');
    expect(e2e.logs.some((l) => l.includes(`kept ${KEPT_ENDPOINT}: tagged ${Tag.keep}=true`))).toBe(true);
    expect(
      e2e.logs.some(
        (l) =>
          /(deleted|parked) /.test(l) &&
          (l.includes(` ${UNOWNED_ENDPOINT}`) || l.includes(` ${KEPT_ENDPOINT}`)),
      ),
    ).toBe(false);
    // the parked line's endpoint is kept: its scoring URI and keys stay valid for a wake
    const parked = await e2e.arm.onlineEndpoints.get(e2e.rg, e2e.ws, endpoint!);
    expect(parked.properties.provisioningState).toBe('Succeeded');
    expect(parked.tags?.[Tag.parkedSince]).toBeDefined();
  }, 220_000); // alone, it waits for the happy-path run first
});
