// The long reliability cases of issue 14, each on a fresh local stack (see harness.ts). A pipeline job
// takes 5 simulated seconds and an endpoint operation 1 (test/e2e/support.ts E2E_CLOCK), so one run
// ends in about half a minute on two cores; the sizes below keep the whole suite under 15 minutes.
import { demoDataset } from '../../dev/demoData.js';
import { OPERATIONS } from '../../dev/emulator/index.js';
import type { RunView } from '../../src/domain/runView.js';
import { FunctionName } from '../../src/names.js';
import { stepStatus, waitFor, waitForEnd, type E2eStack } from '../e2e/support.js';
import { blobCreatedEvent, footprint, postStorageEvents, waitForAll, type CaseContext } from './harness.js';

const RUN_TIMEOUT_MS = 180_000;
const ROWS = 120;
export const DUPLICATE_RACES = 3;
export const COPIES = 10;
export const DATASETS_AT_ONCE = 20;

const seconds = (ms: number) => Math.round(ms / 10) / 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The checks every run of these cases must pass: Succeeded, one job, one endpoint. */
async function oneGoodRun(ctx: CaseContext, label: string, view: RunView): Promise<boolean> {
  const { jobs, endpoints } = await footprint(ctx.e2e, view.runId);
  return ctx.check(label, {
    [`ended ${view.status} (${view.error?.code ?? ''} ${view.error?.message ?? ''}), expected Succeeded`]:
      view.status === 'Succeeded',
    [`${jobs} job(s), expected 1`]: jobs === 1,
    [`${endpoints} endpoint(s), expected 1`]: endpoints === 1,
  });
}

/** Uploads one dataset and follows its run to the end; the latency is upload -> end. */
async function uploadAndFollow(ctx: CaseContext, name: string): Promise<void> {
  const started = Date.now();
  const { runId } = await ctx.e2e.upload(`incoming/${name}/train.jsonl`, demoDataset(ROWS));
  const view = await waitForEnd(ctx.e2e, runId, RUN_TIMEOUT_MS);
  ctx.row.latency ??= { what: 'upload -> run ended', seconds: [] };
  ctx.row.latency.seconds.push(seconds(Date.now() - started));
  await oneGoodRun(ctx, `${ctx.row.name} ${name}`, view);
}

/** 10 copies of one BlobCreated event and 10 POST /api/runs of the same dataset, all at once. */
export async function duplicates(ctx: CaseContext): Promise<void> {
  const { e2e } = ctx;
  ctx.row.latency = { what: 'upload -> run ended', seconds: [] };
  await Promise.all(
    Array.from({ length: DUPLICATE_RACES }, async (_, race) => {
      const path = `incoming/chaos-dup-${race}/train.jsonl`;
      const started = Date.now();
      const { runId, etag } = await e2e.upload(path, demoDataset(ROWS));
      const event = blobCreatedEvent(e2e, path, etag);
      const [webhooks, posts] = await Promise.all([
        Promise.all(Array.from({ length: COPIES }, () => postStorageEvents(e2e, [event]))),
        Promise.all(
          Array.from({ length: COPIES }, () => e2e.api('POST', '/api/runs', { body: { dataset: path } })),
        ),
      ]);
      const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
      ctx.row.latency?.seconds.push(seconds(Date.now() - started));
      const { jobs, endpoints } = await footprint(e2e, runId);
      const postIds = new Set(posts.map((p) => (p.body as RunView | undefined)?.runId));
      ctx.check(`duplicates race ${race}`, {
        [`webhook answers ${webhooks.join(',')}, expected all 200`]: webhooks.every((s) => s === 200),
        [`POST answers ${posts.map((p) => p.status).join(',')}, expected 200 or 202`]: posts.every(
          (p) => p.status === 200 || p.status === 202,
        ),
        [`POSTs named runs ${[...postIds].join(',')}, expected only ${runId}`]:
          postIds.size === 1 && postIds.has(runId),
        [`ended ${view.status}, expected Succeeded`]: view.status === 'Succeeded',
        [`${jobs} job(s), expected 1`]: jobs === 1,
        [`${endpoints} endpoint(s), expected 1`]: endpoints === 1,
      });
    }),
  );
}

/** 20 datasets uploaded at once: every run Succeeds; drop -> submitted from each run view's submit step. */
export async function manyAtOnce(ctx: CaseContext): Promise<void> {
  const { e2e } = ctx;
  const uploads = await Promise.all(
    Array.from({ length: DATASETS_AT_ONCE }, async (_, i) => {
      const uploaded = await e2e.upload(`incoming/chaos-many-${i}/train.jsonl`, demoDataset(ROWS));
      return { ...uploaded, droppedAt: Date.now() };
    }),
  );
  const ended = await waitForAll(
    e2e,
    uploads.map((u) => u.runId),
    RUN_TIMEOUT_MS * 2,
  );
  ctx.row.latency = { what: 'drop -> job submitted', seconds: [] };
  for (const upload of uploads) {
    const view = ended.get(upload.runId)?.view;
    if (view === undefined) continue;
    const submitted = view.steps.find((s) => s.id === 'submit')?.endedAt;
    if (submitted !== undefined)
      ctx.row.latency.seconds.push(seconds(Date.parse(submitted) - upload.droppedAt));
    await oneGoodRun(ctx, `20 at once ${upload.runId}`, view);
  }
}

/** Every operation the emulator serves answers `status` `count` times first; one run must still Succeed. */
export function storm(status: 429 | 500, count: number) {
  return async (ctx: CaseContext): Promise<void> => {
    for (const operation of OPERATIONS) {
      const fault = { operation, status, count, ...(status === 429 ? { retryAfterSeconds: 1 } : {}) };
      const added = await ctx.e2e.admin('POST', 'faults', fault);
      if (added.status !== 201) throw new Error(`adding fault ${JSON.stringify(fault)}: ${added.status}`);
    }
    await uploadAndFollow(ctx, `chaos-storm-${status}`);
    const left = JSON.parse((await ctx.e2e.admin('GET', 'faults')).text) as {
      value: { operation: string }[];
    };
    const hit = OPERATIONS.length - new Set(left.value.map((f) => f.operation)).size;
    ctx.row.notes.push(`${status} storm: ${hit} of ${OPERATIONS.length} operations were hit`);
  };
}

async function jobEventsSubscription(e2e: E2eStack) {
  const state = await e2e.emulatorState();
  const sub = state.subscriptions.find((s) => s.name === FunctionName.jobEvents);
  if (sub === undefined) throw new Error('the stack registered no jobEvents subscription');
  return sub;
}

/** Every Azure ML job event dropped, then duplicated, then reordered: one run each. */
export async function jobEvents(ctx: CaseContext): Promise<void> {
  for (const delivery of ['drop', 'duplicate', 'reorder'] as const) {
    const before = await jobEventsSubscription(ctx.e2e);
    await ctx.e2e.admin('POST', 'faults', { delivery, count: 10_000 });
    await uploadAndFollow(ctx, `chaos-events-${delivery}`);
    await ctx.e2e.admin('DELETE', 'faults');
    if (delivery === 'drop') {
      const after = await jobEventsSubscription(ctx.e2e);
      ctx.check('events dropped: none delivered', {
        [`${after.delivered - before.delivered} job event(s) delivered while all were to be dropped`]:
          after.delivered === before.delivered,
      });
    }
  }
}

const ACTIVITY_DONE = /(\w+) \[[0-9a-f-]{36}\] \(instance (\S+) task \d+\) Succeeded in/;

/**
 * One run; each time one of its activities completes for the first time, the host is killed with
 * SIGKILL at once (the log line is polled every 20 ms) and started again on the same state folder. The run must still end Succeeded
 * with one job and one endpoint. Each kill is a case.
 */
const LINE_INSTANCE = 'line-chaos-kill';

export async function killAtEveryBoundary(ctx: CaseContext): Promise<void> {
  const { e2e } = ctx;
  const started = Date.now();
  const { runId } = await e2e.upload('incoming/chaos-kill/train.jsonl', demoDataset(ROWS));
  const killedAfter: string[] = [];
  let seen = 0;
  let view: RunView | undefined;
  const completed = new Set<string>();
  // The first line, from `seen` on, that ends an activity not yet killed after; `seen` moves just
  // past it, so a second boundary in the same batch of lines is found next time.
  const nextBoundary = () => {
    for (; seen < e2e.logs.length; seen++) {
      const m = ACTIVITY_DONE.exec(e2e.logs[seen] ?? '');
      // the run's activities, and its line's (the line's orchestration deploys the model)
      if (m === null || (m[2] !== runId && m[2] !== LINE_INSTANCE)) continue;
      const key = m[2] === runId ? (m[1] ?? '') : `${LINE_INSTANCE}:${m[1] ?? ''}`;
      completed.add(key);
      if (!killedAfter.includes(key)) {
        seen++;
        return [m[0], key] as const;
      }
    }
    return undefined;
  };
  const deadline = Date.now() + RUN_TIMEOUT_MS * 2;
  while (Date.now() < deadline) {
    let boundary = nextBoundary();
    if (boundary === undefined) {
      view = await e2e.run(runId).catch(() => undefined);
      if (view !== undefined && view.status !== 'Running') {
        // the last activity's line may land just after the end: that boundary is killed at too
        await sleep(300);
        boundary = nextBoundary();
        if (boundary === undefined) break;
      }
    }
    if (boundary) {
      await e2e.stack.killHost();
      killedAfter.push(boundary[1] ?? '');
      // Lines after the boundary still count: an activity that finished in the killed host before
      // the kill landed (prepare takes 1 ms) gets its kill right after this restart.
      await e2e.stack.startHost();
      continue;
    }
    await sleep(20);
  }
  view = await e2e.run(runId).catch(() => view);
  if (view === undefined || view.status === 'Running')
    throw new Error(`run ${runId} did not end after ${killedAfter.length} kills`);
  ctx.row.latency = { what: 'upload -> run ended, with the kills', seconds: [seconds(Date.now() - started)] };
  const { jobs, endpoints } = await footprint(e2e, runId);
  const ok = view.status === 'Succeeded' && jobs === 1 && endpoints === 1 && killedAfter.length > 0;
  while (nextBoundary() !== undefined); // the rest of the lines: which activities completed at all
  const missed = [...completed].filter((a) => !killedAfter.includes(a));
  if (missed.length > 0) ctx.row.misses.push(`kill -9: no kill after ${missed.join(', ')}`);
  for (const activity of killedAfter) {
    ctx.check(`kill -9 after ${activity}`, {
      [`run ended ${view.status} (${view.error?.code ?? ''} ${view.error?.message ?? ''}) with ${jobs} job(s) and ${endpoints} endpoint(s), expected Succeeded, 1, 1`]:
        ok,
    });
  }
  ctx.row.notes.push(`killed after: ${killedAfter.join(', ')}`);
}

/**
 * Azurite stopped for 8 s and started again (same ports, same data): once while a run trains, and
 * once right after a second dataset's upload, so its event, validate and prepare meet the outage.
 */
export async function azuriteRestart(ctx: CaseContext): Promise<void> {
  const { e2e } = ctx;
  const started = Date.now();
  const first = await e2e.upload('incoming/chaos-azurite-a/train.jsonl', demoDataset(ROWS));
  await waitFor(
    `run ${first.runId} to train`,
    async () => {
      const v = await e2e.run(first.runId);
      return v !== undefined && (stepStatus(v, 'submit') === 'succeeded' || v.status !== 'Running')
        ? true
        : undefined;
    },
    { timeoutMs: RUN_TIMEOUT_MS },
  );
  const second = await e2e.upload('incoming/chaos-azurite-b/train.jsonl', demoDataset(ROWS));
  const secondStarted = Date.now();
  await e2e.stack.restartAzurite({ downForMs: 8_000 });
  const ended = await waitForAll(e2e, [first.runId, second.runId], RUN_TIMEOUT_MS * 2);
  ctx.row.latency = {
    what: 'upload -> run ended, across the outage',
    seconds: [
      seconds((ended.get(first.runId)?.endedAt ?? NaN) - started),
      seconds((ended.get(second.runId)?.endedAt ?? NaN) - secondStarted),
    ],
  };
  for (const [label, runId] of [
    ['Azurite down while training', first.runId],
    ['Azurite down right after the upload', second.runId],
  ] as const) {
    const view = ended.get(runId)?.view;
    if (view !== undefined) await oneGoodRun(ctx, label, view);
  }
}
