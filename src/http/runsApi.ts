// docs/contracts.md "HTTP API": POST /api/runs, GET /api/runs, GET /api/runs/{id}, POST /api/runs/{id}/cancel.
// One function, routed here on `runs/{id?}/{action?}`. Never returns the durable management URLs
// (they carry the system key): the run's own URL is the Location.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { fail, ok, type Result } from '../domain/errors.js';
import { ExternalEvent } from '../names.js';
import { ACTIVE_STATUSES, type RunInstance } from '../runs/runInstances.js';
import { datasetAt, startRun, type StartRunDeps } from '../runs/startRun.js';
import { viewOf } from '../runs/instanceView.js';
import { errorResponse, internalError } from './errors.js';

export const RUNS_ROUTE = 'runs/{id?}/{action?}';
export const CANCEL_ACTION = 'cancel';
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
  }
  if (record.force !== undefined && typeof record.force !== 'boolean') {
    problems.push({ field: 'force', message: 'must be true or false' });
  }
  for (const key of Object.keys(record)) {
    if (!START_FIELDS.includes(key)) problems.push({ field: key, message: 'unknown field' });
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

interface Cursor {
  readonly createdTime: string;
  readonly instanceId: string;
}

/** Newest first; ties broken by id so the order (and the cursor) is total. */
const byNewest = (a: Cursor, b: Cursor): number =>
  a.createdTime === b.createdTime
    ? a.instanceId.localeCompare(b.instanceId)
    : a.createdTime < b.createdTime
      ? 1
      : -1;

export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.createdTime, cursor.instanceId])).toString('base64url');

function decodeCursor(token: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { createdTime: value[0] as string, instanceId: value[1] as string };
    }
  } catch {
    // reported below
  }
  return undefined;
}

function parsePaging(request: HttpRequest): Result<{ top: number; after?: Cursor }> {
  const problems: FieldProblem[] = [];
  const topText = request.query.get('top');
  const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    problems.push({
      field: 'top',
      message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}, got '${topText}'`,
    });
  }
  const token = request.query.get('continuationToken');
  const after = token === null || token === '' ? undefined : decodeCursor(token);
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
  return ok({ top, ...(after === undefined ? {} : { after }) });
}

const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({
  status,
  jsonBody: body,
  ...(headers === undefined ? {} : { headers }),
});

async function readJson(request: HttpRequest): Promise<Result<unknown>> {
  const text = await request.text();
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

async function listRuns(request: HttpRequest, deps: StartRunDeps): Promise<HttpResponseInit> {
  const paging = parsePaging(request);
  if (!paging.ok) return errorResponse(paging.error);
  const { top, after } = paging.value;
  const sorted = [...(await deps.runs.list())].sort(byNewest);
  const start = after === undefined ? 0 : sorted.findIndex((run) => byNewest(run, after) > 0);
  const page = start < 0 ? [] : sorted.slice(start, start + top);
  const last = page.at(-1);
  const more = start >= 0 && start + top < sorted.length && last !== undefined;
  return json(200, { runs: page.map(viewOf), ...(more ? { continuationToken: encodeCursor(last) } : {}) });
}

async function findRun(deps: StartRunDeps, runId: string): Promise<Result<RunInstance>> {
  const instance = await deps.runs.get(runId);
  return instance === undefined
    ? fail({ code: 'RUN.NOT_FOUND', message: `no run with id '${runId}'` })
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

const methodNotAllowed = (method: string, allowed: string): HttpResponseInit => ({
  ...errorResponse({
    code: 'REQUEST.METHOD_NOT_ALLOWED',
    message: `${method} is not allowed here; use ${allowed}`,
  }),
  headers: { Allow: allowed },
});

/** Routes one request. Unexpected failures become a 500 without internals. */
export async function handleRunsRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: StartRunDeps,
): Promise<HttpResponseInit> {
  const id = request.params.id;
  const action = request.params.action;
  const method = request.method.toUpperCase();
  try {
    if (id === undefined || id === '') {
      if (method === 'POST') return await postRun(request, deps, context);
      if (method === 'GET') return await listRuns(request, deps);
      return methodNotAllowed(method, 'GET, POST');
    }
    if (action === undefined || action === '') {
      if (method !== 'GET') return methodNotAllowed(method, 'GET');
      const found = await findRun(deps, id);
      return found.ok ? json(200, viewOf(found.value)) : errorResponse(found.error);
    }
    if (action === CANCEL_ACTION) {
      if (method !== 'POST') return methodNotAllowed(method, 'POST');
      return await cancelRun(deps, id, context);
    }
    return errorResponse({
      code: 'REQUEST.NOT_FOUND',
      message: `no such resource: /api/runs/${id}/${action}`,
    });
  } catch (error) {
    // name only: messages of SDK errors can carry URLs with keys
    context.error(`runsApi: ${method} ${id ?? ''} failed: ${error instanceof Error ? error.name : 'error'}`);
    return internalError();
  }
}
