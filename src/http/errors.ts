// Error responses of the HTTP API: {error: {code, message, details?}}, the status from the one
// table of codes (src/domain/errorCodes.ts), never a stack trace. A code whose status is 500 (a
// service fault, a bug) is answered as INTERNAL with a generic message: the invocation log has
// the run id and the code, the caller gets nothing of the internals.
import type { HttpResponseInit } from '@azure/functions';
import { ERROR_CODES, type ErrorCode } from '../domain/errorCodes.js';
import type { DomainProblem } from '../domain/errors.js';

const INTERNAL_MESSAGE = 'the request could not be completed; try again later';

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

export function errorResponse(problem: DomainProblem): HttpResponseInit {
  const status = httpStatusFor(problem.code);
  const body =
    status === 500 && problem.code !== 'INTERNAL'
      ? { code: 'INTERNAL', message: INTERNAL_MESSAGE }
      : {
          code: problem.code,
          message: problem.message,
          ...(problem.details === undefined ? {} : { details: problem.details }),
        };
  return { status, jsonBody: { error: body } };
}

export const internalError = (): HttpResponseInit =>
  errorResponse({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
