// docs/contracts.md "HTTP API": POST /api/runs, GET /api/runs, GET /api/runs/{id}, POST /api/runs/{id}/cancel.
// One function on the catch-all route `runs/{*path}` with every method, routed here, so every
// request under /api/runs gets this API's JSON answer: 405 with Allow for a method a resource does
// not serve, 404 REQUEST.NOT_FOUND for an unknown sub-path (the host's own 404s have no body).
// Never returns the durable management URLs (they carry the system key): the run's own URL is the
// Location. Inputs are bounded before any work: body size, overrides' depth and keys, run ids.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { DomainError, fail, ok, type Result } from '../domain/errors.js';
import { overridesSizeProblem, validateOverrides } from '../domain/fineTuneParameters.js';
import { isLineId } from '../domain/line.js';
import { isRunId } from '../domain/runId.js';
import {
  decodeRunCursor,
  encodeRunCursor,
  isRunStatus,
  RUN_STATUSES,
  type RunIndexCursor,
  type RunIndexPage,
} from '../domain/runIndex.js';
import type { RunStatus } from '../domain/runView.js';
import { truncated } from '../domain/untrustedInput.js';
import { ExternalEvent } from '../names.js';
import { ACTIVE_STATUSES, type RunInstance } from '../runs/runInstances.js';
import { datasetAt, startRun, type StartRunDeps } from '../runs/startRun.js';
import { liveViewOf, viewOf } from '../runs/instanceView.js';
import { errorResponse, internalError } from './errors.js';
import {
  HISTORY_SEGMENT,
  METRICS_SEGMENT,
  runMetricHistory,
  type RunMetricHistoryDeps,
} from './runMetricHistory.js';

export const RUNS_ROUTE = 'runs/{*path}';
/** Every method reaches the handler, which answers 405 with Allow where one is not served. */
export const RUNS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const CANCEL_ACTION = 'cancel';
/** Bodies are a path, a few overrides and a flag: 1 MiB is far more than any real one. */
export const MAX_BODY_BYTES = 1_048_576;
/** Unknown body fields listed one by one; past this, one problem counts the rest. */
const MAX_LISTED_FIELDS = 10;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const runUrl = (runId: string): string => `/api/runs/${encodeURIComponent(runId)}`;

interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

interface StartBody {
  readonly dataset: string;
  readonly overrides?: Record<string, unknown>;
  readonly force?: boolean;
}

const START_FIELDS = ['dataset', 'overrides', 'force'];

/** Every problem of a POST /api/runs body at once. */
export function parseStartBody(body: unknown): Result<StartBody> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail({
      code: 'REQUEST.INVALID_BODY',
      message: 'the body must be a JSON object {dataset, overrides?, force?}',
      details: [{ field: '', message: 'expected a JSON object' }],
    });
  }
  const record = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  if (typeof record.dataset !== 'string' || record.dataset.trim() === '') {
    problems.push({
      field: 'dataset',
      message: 'required: the dataset blob path, e.g. incoming/chat/train.jsonl',
    });
  }
  const overrides = record.overrides;
  if (
    overrides !== undefined &&
    (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
  ) {
    problems.push({ field: 'overrides', message: 'must be a JSON object of fine-tune parameters' });
  } else {
    const tooBig = overridesSizeProblem(overrides);
    if (tooBig !== undefined) problems.push({ field: 'overrides', message: tooBig });
  }
  if (record.force !== undefined && typeof record.force !== 'boolean') {
    problems.push({ field: 'force', message: 'must be true or false' });
  }
  const unknown = Object.keys(record).filter((key) => !START_FIELDS.includes(key));
  for (const key of unknown.slice(0, MAX_LISTED_FIELDS)) {
    problems.push({ field: truncated(key), message: 'unknown field' });
  }
  if (unknown.length > MAX_LISTED_FIELDS) {
    problems.push({ field: '', message: `${unknown.length - MAX_LISTED_FIELDS} more unknown fields` });
  }
  if (problems.length > 0) {
    return fail({
      code: 'REQUEST.INVALID_BODY',
      message: `invalid body: ${problems.map((p) => `${p.field || 'body'}: ${p.message}`).join('; ')}`,
      details: problems,
    });
  }
  return ok({
    dataset: (record.dataset as string).trim(),
    ...(overrides === undefined ? {} : { overrides: overrides as Record<string, unknown> }),
    ...(record.force === undefined ? {} : { force: record.force as boolean }),
  });
}

/** GET /api/runs's query: paging and the two filters the index answers server-side. */
interface ListQuery {
  readonly top: number;
  readonly status?: RunStatus;
  readonly line?: string;
  readonly after?: RunIndexCursor;
}

/** Every problem of a GET /api/runs query at once (unknown parameters, e.g. `code`, are ignored). */
function parseListQuery(request: HttpRequest): Result<ListQuery> {
  const problems: FieldProblem[] = [];
  const topText = request.query.get('top');
  const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    problems.push({
      field: 'top',
      message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}, got '${truncated(topText ?? '')}'`,
    });
  }
  const status = request.query.get('status');
  if (status !== null && !isRunStatus(status)) {
    problems.push({
      field: 'status',
      message: `must be one of ${RUN_STATUSES.join('|')}, got '${truncated(status)}'`,
    });
  }
  const line = request.query.get('line');
  if (line !== null && !isLineId(line)) {
    problems.push({
      field: 'line',
      message: `must be a line id (lower-case letters, digits and '-', 1-63 characters, the dataset's name slugged), got '${truncated(line)}'`,
    });
  }
  const token = request.query.get('continuationToken');
  const after = token === null || token === '' ? undefined : decodeRunCursor(token);
  if (token !== null && token !== '' && after === undefined) {
    problems.push({ field: 'continuationToken', message: 'not a token this API returned' });
  }
  if (problems.length > 0) {
    return fail({
      code: 'REQUEST.INVALID_QUERY',
      message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      details: problems,
    });
  }
  return ok({
    top,
    ...(status === null || !isRunStatus(status) ? {} : { status }),
    ...(line === null ? {} : { line }),
    ...(after === undefined ? {} : { after }),
  });
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({
  status,
  jsonBody: body,
  ...(headers === undefined ? {} : { headers }),
});

const tooLarge = (bytes: number) =>
  fail({
    code: 'REQUEST.TOO_LARGE' as const,
    message: `the body is ${bytes} bytes; at most ${MAX_BODY_BYTES} (1 MiB) are accepted`,
  });

async function readJson(request: HttpRequest): Promise<Result<unknown>> {
  // Refused before reading when the sender says how big it is; measured after reading otherwise.
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge(declared);
  const text = await request.text();
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_BODY_BYTES) return tooLarge(bytes);
  if (text.trim() === '') return ok(undefined);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return fail({ code: 'REQUEST.INVALID_JSON', message: 'the body is not valid JSON' });
  }
}

async function postRun(
  request: HttpRequest,
  deps: StartRunDeps,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = await readJson(request);
  if (!raw.ok) return errorResponse(raw.error);
  const body = parseStartBody(raw.value);
  if (!body.ok) return errorResponse(body.error);
  // Bad overrides are the caller's whatever the dataset: answered before any storage call.
  if (body.value.overrides !== undefined) {
    const checked = validateOverrides(body.value.overrides);
    if (!checked.ok) return errorResponse(checked.error);
  }
  const dataset = await datasetAt(deps.blobs, deps.config, body.value.dataset);
  if (!dataset.ok) return errorResponse(dataset.error);
  const started = await startRun(deps, {
    dataset: dataset.value,
    ...(body.value.overrides === undefined ? {} : { overrides: body.value.overrides }),
    ...(body.value.force === undefined ? {} : { force: body.value.force }),
  });
  if (!started.ok) return errorResponse(started.error);
  const { runId, outcome, view } = started.value;
  context.log(
    `runsApi: run ${runId} ${outcome === 'started' ? 'started' : 'already exists'} for ${dataset.value.path}`,
  );
  return json(outcome === 'started' ? 202 : 200, view, { Location: runUrl(runId) });
}

/**
 * One page of the run index, newest first, filtered by the table itself: O(page), not O(runs).
 * Runs started before the index existed are not in it (GET /api/runs/{id} still finds them).
 */
async function listRuns(request: HttpRequest, deps: StartRunDeps): Promise<HttpResponseInit> {
  const query = parseListQuery(request);
  if (!query.ok) return errorResponse(query.error);
  let page: RunIndexPage;
  try {
    page = await deps.runIndex.list(query.value);
  } catch (error) {
    // The one refusal of a list that is the caller's: a token the table could not resume from.
    if (error instanceof DomainError && error.code === 'REQUEST.INVALID_QUERY') {
      return errorResponse({
        code: error.code,
        message: error.message,
        details: [{ field: 'continuationToken', message: 'not a token this API returned' }],
      });
    }
    throw error;
  }
  return json(200, {
    runs: page.runs,
    ...(page.next === undefined ? {} : { continuationToken: encodeRunCursor(page.next) }),
  });
}

/** A run by id; an id that is not a run id's shape is no run, answered without a lookup. */
async function findRun(deps: StartRunDeps, runId: string): Promise<Result<RunInstance>> {
  const instance = isRunId(runId) ? await deps.runs.get(runId) : undefined;
  return instance === undefined
    ? fail({ code: 'RUN.NOT_FOUND', message: `no run with id '${truncated(runId)}'` })
    : ok(instance);
}

async function cancelRun(
  deps: StartRunDeps,
  runId: string,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const found = await findRun(deps, runId);
  if (!found.ok) return errorResponse(found.error);
  if (!ACTIVE_STATUSES.includes(found.value.runtimeStatus)) {
    return errorResponse({
      code: 'RUN.NOT_RUNNING',
      message: `run '${runId}' already ended (${viewOf(found.value).status}); nothing to cancel`,
    });
  }
  await deps.runs.raise(runId, ExternalEvent.cancelRequested, {});
  context.log(`runsApi: cancel requested for run ${runId}`);
  return json(202, viewOf(found.value), { Location: runUrl(runId) });
}

export const methodNotAllowed = (method: string, allowed: string): HttpResponseInit => ({
  ...errorResponse({
    code: 'REQUEST.METHOD_NOT_ALLOWED',
    message: `${method} is not allowed here; use ${allowed}`,
  }),
  headers: { Allow: allowed },
});

/**
 * The catch-all route value split into segments. Not decoded: a run id is [a-z0-9-] only, which no
 * client percent-encodes, so an encoded segment (decoded by the host or not) is never a run id.
 */
export function segmentsOf(request: HttpRequest): string[] {
  return (request.params.path ?? '').split('/').filter((segment) => segment !== '');
}

/**
 * Routes one request. Unexpected failures become a 500 without internals. `history` serves
 * /api/runs/{id}/metrics/history (src/http/runMetricHistory.ts); without it that path is unknown.
 */
export async function handleRunsRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: StartRunDeps,
  history?: RunMetricHistoryDeps,
): Promise<HttpResponseInit> {
  const segments = segmentsOf(request);
  const [id, action] = segments;
  const method = request.method.toUpperCase();
  try {
    if (id === undefined) {
      if (method === 'POST') return await postRun(request, deps, context);
      if (method === 'GET') return await listRuns(request, deps);
      return methodNotAllowed(method, 'GET, POST');
    }
    if (segments.length === 1) {
      if (method !== 'GET') return methodNotAllowed(method, 'GET');
      const found = await findRun(deps, id);
      return found.ok ? json(200, await liveViewOf(found.value, deps.blobs)) : errorResponse(found.error);
    }
    if (segments.length === 2 && action === CANCEL_ACTION) {
      if (method !== 'POST') return methodNotAllowed(method, 'POST');
      return await cancelRun(deps, id, context);
    }
    if (
      history !== undefined &&
      segments.length === 3 &&
      action === METRICS_SEGMENT &&
      segments[2] === HISTORY_SEGMENT
    ) {
      if (method !== 'GET') return methodNotAllowed(method, 'GET');
      const found = await findRun(deps, id);
      if (!found.ok) return errorResponse(found.error);
      return await runMetricHistory(request, viewOf(found.value), history);
    }
    return errorResponse({
      code: 'REQUEST.NOT_FOUND',
      message: `no such resource: /api/runs/${truncated(segments.join('/'))}; the API serves /api/runs, /api/runs/{id} and /api/runs/{id}/cancel`,
    });
  } catch (error) {
    // name only: messages of SDK errors can carry URLs with keys
    context.error(
      `runsApi: ${method} ${truncated(id ?? '')} failed: ${error instanceof Error ? error.name : 'error'}`,
    );
    return internalError();
  }
}
