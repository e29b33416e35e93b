// The admin API (docs/emulator.md "Admin API"), on the same HTTPS server under /_emulator/, no auth:
// GET state; PUT/DELETE subscriptions/{name}; POST/GET/DELETE faults; POST jobs/{name}/outcome;
// PUT clock.
import type { Route, RouteContext } from './core.js';
import { ArmError, isRecord, type Reply } from './http.js';
import { jobStatus, jobTimelines, statusAt, TERMINAL } from './jobs.js';
import type { FinalJobStatus, SubscriptionRecord } from './state.js';

const re = (path: string) => new RegExp(`^/_emulator/${path}$`);
const admin = (method: string, path: string, handle: Route['handle']): Route => ({
  method,
  pattern: re(path),
  auth: 'none',
  scope: 'none',
  handle,
});
const FINAL_STATUSES: FinalJobStatus[] = ['Completed', 'Failed', 'Canceled'];

function bad(message: string): ArmError {
  return new ArmError(400, 'InvalidRequest', message);
}

function stateView(ctx: RouteContext): unknown {
  const { core } = ctx;
  const now = core.now();
  const s = core.state;
  return {
    clock: s.clock,
    jobs: Object.values(s.jobs).map((job) => ({
      name: job.name,
      status: jobStatus(job, now),
      experimentName: job.experimentName,
      tags: job.properties.tags ?? {},
      ...(job.outcome
        ? {
            outcome: {
              status: job.outcome.status,
              at: new Date(job.outcome.at).toISOString(),
              ...(job.outcome.reason ? { reason: job.outcome.reason } : {}),
            },
          }
        : {}),
      runs: jobTimelines(job)
        .slice(1)
        .filter((r) => (r.startedAt ?? Infinity) <= now)
        .map((r) => ({ runId: r.runId, step: r.step, status: statusAt(r, now) })),
    })),
    models: Object.values(s.models).map((m) => ({ name: m.name, version: m.version })),
    endpoints: Object.values(s.endpoints).map((e) => ({
      name: e.name,
      provisioningState: e.provisioningState,
      tags: e.tags,
      traffic: e.properties.traffic ?? {},
    })),
    deployments: Object.values(s.deployments).map((d) => ({
      endpoint: d.endpoint,
      name: d.name,
      provisioningState: d.provisioningState,
      ...(d.failureReason ? { failureReason: d.failureReason } : {}),
    })),
    operations: Object.values(s.operations)
      .filter((o) => o.status === 'InProgress')
      .map((o) => ({ id: o.id, kind: o.kind, endpoint: o.endpoint, deployment: o.deployment, job: o.job })),
    subscriptions: Object.values(s.subscriptions),
    faults: s.faults.map((f) => ({ id: f.id, ...f.spec, remaining: f.remaining })),
    requests: Object.entries(s.requests).map(([key, count]) => {
      const [endpoint, deployment, minute] = key.split('|') as [string, string, string];
      return { endpoint, deployment, minute: new Date(Number(minute)).toISOString(), count };
    }),
  };
}

async function putSubscription(ctx: RouteContext): Promise<Reply> {
  const { core } = ctx;
  const name = decodeURIComponent(ctx.params[0]!);
  if (!/^[A-Za-z0-9-]{3,64}$/.test(name))
    throw bad(`Subscription name '${name}' must be 3-64 letters, digits or '-'.`);
  const body = ctx.body;
  if (!isRecord(body) || typeof body.endpointUrl !== 'string')
    throw bad('Body must be {endpointUrl: string, eventTypes?: string[]}.');
  let url: URL;
  try {
    url = new URL(body.endpointUrl);
  } catch {
    throw bad(`endpointUrl '${body.endpointUrl}' is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('endpointUrl must be http(s).');
  if (
    body.eventTypes !== undefined &&
    (!Array.isArray(body.eventTypes) || body.eventTypes.some((t) => typeof t !== 'string'))
  ) {
    throw bad('eventTypes must be an array of strings.');
  }
  const existed = core.state.subscriptions[name] !== undefined;
  const record: SubscriptionRecord = {
    name,
    endpointUrl: body.endpointUrl,
    ...(body.eventTypes ? { eventTypes: body.eventTypes as string[] } : {}),
    validated: false,
    delivered: 0,
    failedAttempts: 0,
    dropped: 0,
    deadLettered: 0,
  };
  // Event Grid creates a webhook subscription only once the endpoint passes the handshake.
  if (!(await core.delivery.validate(record))) {
    throw new ArmError(
      400,
      'WebhookValidationFailed',
      `Webhook validation handshake failed for ${body.endpointUrl}: it must answer the SubscriptionValidation event with 200 and {"validationResponse": "<validationCode>"}.`,
    );
  }
  record.validated = true;
  core.state.subscriptions[name] = record;
  core.persist();
  return { status: existed ? 200 : 201, body: record };
}

function postOutcome(ctx: RouteContext): Reply {
  const { core } = ctx;
  const name = decodeURIComponent(ctx.params[0]!);
  const job = core.state.jobs[name];
  if (!job) throw new ArmError(404, 'NotFound', `Job '${name}' does not exist.`);
  const body = ctx.body;
  if (!isRecord(body) || !FINAL_STATUSES.includes(body.status as FinalJobStatus))
    throw bad(`status must be one of ${FINAL_STATUSES.join(', ')}.`);
  const after = body.afterSeconds ?? 0;
  if (typeof after !== 'number' || after < 0) throw bad('afterSeconds must be a number >= 0.');
  const now = core.now();
  const status = jobStatus(job, now);
  if (TERMINAL.includes(status) || job.cancel)
    throw new ArmError(409, 'Conflict', `Job '${name}' is already ${status}; its outcome cannot change.`);
  job.outcome = {
    status: body.status as FinalJobStatus,
    at: now + after * 1000,
    ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
  };
  core.persist();
  core.advance();
  return {
    status: 200,
    body: {
      name,
      status: jobStatus(job, core.now()),
      outcome: { status: job.outcome.status, at: new Date(job.outcome.at).toISOString() },
    },
  };
}

function putClock(ctx: RouteContext): Reply {
  const { core } = ctx;
  const body = ctx.body;
  if (!isRecord(body)) throw bad('Body must be {jobSeconds?, lroSeconds?}.');
  for (const key of ['jobSeconds', 'lroSeconds'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw bad(`${key} must be a number of seconds >= 0.`);
    core.state.clock[key] = value;
  }
  core.persist();
  return { status: 200, body: core.state.clock };
}

export const adminRoutes: Route[] = [
  admin('GET', 'state', (ctx) => ({ status: 200, body: stateView(ctx) })),
  admin('PUT', 'subscriptions/([^/]+)', putSubscription),
  admin('DELETE', 'subscriptions/([^/]+)', (ctx) => {
    const name = decodeURIComponent(ctx.params[0]!);
    const existed = delete ctx.core.state.subscriptions[name];
    ctx.core.persist();
    return { status: existed ? 200 : 204 };
  }),
  admin('GET', 'subscriptions/([^/]+)/validate', (ctx) => {
    const sub = ctx.core.state.subscriptions[decodeURIComponent(ctx.params[0]!)];
    if (!sub) throw new ArmError(404, 'NotFound', 'No such subscription.');
    sub.validated = true;
    ctx.core.persist();
    return { status: 200, body: { validated: true } };
  }),
  admin('POST', 'faults', (ctx) => {
    const record = ctx.core.faults.add(ctx.body);
    return { status: 201, body: { id: record.id, ...record.spec, remaining: record.remaining } };
  }),
  admin('GET', 'faults', (ctx) => ({
    status: 200,
    body: { value: ctx.core.state.faults.map((f) => ({ id: f.id, ...f.spec, remaining: f.remaining })) },
  })),
  admin('DELETE', 'faults', (ctx) => {
    ctx.core.faults.clear();
    return { status: 204 };
  }),
  admin('POST', 'jobs/([^/]+)/outcome', postOutcome),
  admin('PUT', 'clock', putClock),
];
