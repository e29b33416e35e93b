// docs/contracts.md "Lines API": GET /api/lines, GET /api/lines/{line}, POST /api/lines/{line}/wake,
// POST /api/lines/{line}/park, DELETE /api/lines/{line}. One function on the catch-all route
// `lines/{*path}` (as runsApi): 405 with Allow, 404 REQUEST.NOT_FOUND for an unknown sub-path,
// 404 LINE.NOT_FOUND for an unknown line, 409 LINE.CONFLICT for a request the line's state refuses.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { checkLineId } from '../domain/line.js';
import { truncated } from '../domain/untrustedInput.js';
import {
  deleteLine,
  listLines,
  parkLine,
  showLine,
  wakeLine,
  type LineRequestOutcome,
  type LinesDeps,
} from '../runs/lines.js';
import type { Result } from '../domain/errors.js';
import { errorResponse, internalError } from './errors.js';
import { json, methodNotAllowed, segmentsOf } from './runsApi.js';

export const LINES_ROUTE = 'lines/{*path}';
export const LINES_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const lineUrl = (line: string): string => `/api/lines/${encodeURIComponent(line)}`;

function requested(line: string, outcome: Result<LineRequestOutcome>): HttpResponseInit {
  if (!outcome.ok) return errorResponse(outcome.error);
  const value = outcome.value;
  if (!value.accepted) return json(200, { ...value.view, note: value.note });
  return json(202, value.view, {
    Location: lineUrl(line),
    ...(value.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(value.retryAfterSeconds) }),
  });
}

export async function handleLinesRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: LinesDeps,
): Promise<HttpResponseInit> {
  const segments = segmentsOf(request);
  const [id, action] = segments;
  const method = request.method.toUpperCase();
  try {
    if (id === undefined) {
      if (method !== 'GET') return methodNotAllowed(method, 'GET');
      return json(200, { lines: await listLines(deps) });
    }
    const line = checkLineId(id);
    if (!line.ok) return errorResponse(line.error);
    if (segments.length === 1) {
      if (method === 'GET') {
        const shown = await showLine(deps, line.value);
        return shown.ok ? json(200, shown.value) : errorResponse(shown.error);
      }
      if (method === 'DELETE') {
        const outcome = await deleteLine(deps, line.value);
        if (outcome.ok && outcome.value.accepted)
          context.log(`linesApi: delete requested for line ${line.value}`);
        return requested(line.value, outcome);
      }
      return methodNotAllowed(method, 'GET, DELETE');
    }
    if (segments.length === 2 && (action === 'wake' || action === 'park')) {
      if (method !== 'POST') return methodNotAllowed(method, 'POST');
      const outcome = action === 'wake' ? await wakeLine(deps, line.value) : await parkLine(deps, line.value);
      if (outcome.ok && outcome.value.accepted)
        context.log(`linesApi: ${action} requested for line ${line.value}`);
      return requested(line.value, outcome);
    }
    return errorResponse({
      code: 'REQUEST.NOT_FOUND',
      message: `no such resource: /api/lines/${truncated(segments.join('/'))}; the API serves /api/lines, /api/lines/{line}, /api/lines/{line}/wake and /api/lines/{line}/park`,
    });
  } catch (error) {
    context.error(
      `linesApi: ${method} ${truncated(id ?? '')} failed: ${error instanceof Error ? error.name : 'error'}`,
    );
    return internalError();
  }
}
