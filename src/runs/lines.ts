// The serving lines as operators see them (docs/lines.md): list and show (the line's view, with
// what only a read can add: when it last served a request, what parking has saved), and the
// requests an operator can send: wake, park, delete. Requests go to the line's orchestration,
// the one writer of its endpoint; these functions only decide whether a request makes sense now.
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../config.js';
import { fail, ok, type Result } from '../domain/errors.js';
import { lineInstanceId, type LineView } from '../domain/line.js';
import type { EndpointMetrics } from '../domain/ports.js';
import type { LineCommand } from '../orchestration/contract.js';
import { isActive, lineStatusOf, sendToLine, type LineInstances } from './lineMessaging.js';
import { lineFor } from './startRun.js';
import { HOURLY_PRICE_ESTIMATE_USD } from './teardown.js';
import { workspaceResourceId } from '../domain/line.js';

export interface LinesDeps {
  readonly lines: LineInstances;
  readonly config: AppConfig;
  readonly endpointMetrics?: EndpointMetrics;
  readonly now: () => Date;
}

/** How far back "last request" looks (Azure Monitor keeps RequestsPerMinute for 93 days; a day is plenty here). */
const LAST_REQUEST_LOOKBACK_MS = 24 * 3_600_000;
/** A wake's Retry-After when the line never recorded a deployment's duration: a managed deployment takes 10-20 min. */
export const DEFAULT_WAKE_SECONDS = 900;

interface LineRecord {
  readonly view: LineView;
  readonly running: boolean;
  readonly current?: string;
  readonly pending: readonly string[];
}

const isDeleted = (view: LineView): boolean => view.history.at(-1)?.action === 'deleted';

async function read(deps: LinesDeps, line: string): Promise<LineRecord | undefined> {
  const instance = await deps.lines.get(lineInstanceId(line));
  const status = lineStatusOf(instance);
  if (instance === undefined || status === undefined || isDeleted(status.view)) return undefined;
  return {
    view: status.view,
    running: isActive(instance.runtimeStatus),
    pending: status.pending,
    ...(status.current === undefined ? {} : { current: status.current }),
  };
}

/** What a read adds: cost saved while parked (the champion's instance price x hours parked), last request. */
async function enrich(deps: LinesDeps, view: LineView): Promise<LineView> {
  const now = deps.now();
  const { inferenceInstanceType, inferenceInstanceCount } = deps.config.fineTune;
  const price = HOURLY_PRICE_ESTIMATE_USD[inferenceInstanceType.toLowerCase()];
  let saved: number | undefined;
  if (view.state === 'parked' && view.parkedSince !== undefined && price !== undefined) {
    const hours = Math.max(0, now.getTime() - Date.parse(view.parkedSince)) / 3_600_000;
    saved = Math.round(hours * price * inferenceInstanceCount * 100) / 100;
  }
  const lastRequestAt = await lastRequest(deps, view, now).catch(() => undefined);
  return {
    ...view,
    ...(saved === undefined ? {} : { estimatedSavedUsd: saved }),
    ...(lastRequestAt === undefined ? {} : { lastRequestAt }),
  };
}

async function lastRequest(deps: LinesDeps, view: LineView, now: Date): Promise<string | undefined> {
  if (deps.endpointMetrics === undefined || view.champion === undefined) return undefined;
  const id = `${workspaceResourceId(deps.config.azureMl)}/onlineEndpoints/${view.endpoint.name}`;
  const buckets = await deps.endpointMetrics.requestsPerMinute(
    id,
    new Date(now.getTime() - LAST_REQUEST_LOOKBACK_MS),
    now,
  );
  const served = buckets
    .filter((b) => (b.total ?? 0) > 0)
    .map((b) => b.timeStamp)
    .sort();
  return served.at(-1);
}

export async function listLines(deps: LinesDeps): Promise<LineView[]> {
  const instances = await deps.lines.list();
  const views = instances
    .map((i) => lineStatusOf(i)?.view)
    .filter((v): v is LineView => v !== undefined && !isDeleted(v))
    .sort((a, b) => a.line.localeCompare(b.line));
  return Promise.all(views.map((v) => enrich(deps, v)));
}

export async function showLine(deps: LinesDeps, line: string): Promise<Result<LineView>> {
  const found = await read(deps, line);
  if (found === undefined) return notFound(line);
  return ok(await enrich(deps, found.view));
}

const notFound = (line: string) =>
  fail({
    code: 'LINE.NOT_FOUND' as const,
    message: `no line '${line}': no model was deployed for it yet, or it was deleted (GET /api/lines lists the lines)`,
  });

const conflict = (message: string) => fail({ code: 'LINE.CONFLICT' as const, message });

export type LineRequestOutcome =
  | { readonly accepted: true; readonly view: LineView; readonly retryAfterSeconds?: number }
  | { readonly accepted: false; readonly view: LineView; readonly note: string };

async function send(
  deps: LinesDeps,
  found: LineRecord,
  kind: LineCommand['kind'],
  reason: string,
): Promise<void> {
  const { view } = found;
  const line = lineFor(view.line, deps.config);
  await sendToLine(
    deps.lines,
    { line: view.line, endpointName: view.endpoint.name, settings: line.settings },
    { kind, requestId: randomUUID(), reason },
  );
}

/** Wake: a parked line gets its champion back (202); serving or already waking is a no-op that says so. */
export async function wakeLine(
  deps: LinesDeps,
  line: string,
  reason = 'woken through the API',
): Promise<Result<LineRequestOutcome>> {
  const found = await read(deps, line);
  if (found === undefined) return notFound(line);
  const { view } = found;
  if (
    view.state === 'waking' ||
    found.pending.some((p) => p.startsWith('wake:')) ||
    found.current?.startsWith('wake:') === true
  )
    return ok({ accepted: false, view, note: `line '${line}' is already waking` });
  if (view.state === 'serving' || view.state === 'rollingOut')
    return ok({
      accepted: false,
      view,
      note: `line '${line}' is ${view.state === 'serving' ? 'serving' : 'serving (a rollout is in progress)'}; nothing to wake`,
    });
  if (view.state !== 'parked' || view.champion === undefined)
    return conflict(
      `line '${line}' is ${view.state} and has no parked model to wake; upload a dataset to deploy one`,
    );
  await send(deps, found, 'wake', reason);
  return ok({
    accepted: true,
    view: { ...view, state: 'waking' },
    retryAfterSeconds: view.lastDeploySeconds ?? DEFAULT_WAKE_SECONDS,
  });
}

/** Park: a serving line's deployments are deleted, its endpoint (URI, keys) kept (202); parked is a no-op. */
export async function parkLine(
  deps: LinesDeps,
  line: string,
  reason = 'parked through the API',
): Promise<Result<LineRequestOutcome>> {
  const found = await read(deps, line);
  if (found === undefined) return notFound(line);
  const { view } = found;
  if (
    view.state === 'parked' ||
    found.pending.some((p) => p.startsWith('park:')) ||
    found.current?.startsWith('park:') === true
  )
    return ok({ accepted: false, view, note: `line '${line}' is already parked` });
  if (view.state !== 'serving')
    return conflict(`line '${line}' is ${view.state}; park it once it is serving`);
  await send(deps, found, 'park', reason);
  return ok({ accepted: true, view });
}

/** Delete: the line's endpoint goes (its URI and keys with it); rollouts waiting for it are superseded. */
export async function deleteLine(deps: LinesDeps, line: string): Promise<Result<LineRequestOutcome>> {
  const found = await read(deps, line);
  if (found === undefined) return notFound(line);
  if (found.pending.some((p) => p.startsWith('delete:')) || found.current?.startsWith('delete:') === true)
    return ok({ accepted: false, view: found.view, note: `line '${line}' is already being deleted` });
  await send(deps, found, 'delete', 'deleted through the API');
  return ok({ accepted: true, view: found.view });
}
