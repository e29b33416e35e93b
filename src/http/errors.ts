// The one place that maps error codes to HTTP status. Responses carry {error: {code, message,
// details?}}; never a stack trace: an unexpected error becomes INTERNAL with a generic message
// (the invocation log has the run id and the code, not the error's internals).
import type { HttpResponseInit } from '@azure/functions';
import type { DomainProblem } from '../domain/errors.js';

export const ApiCode = {
  invalidJson: 'REQUEST.INVALID_JSON',
  invalidBody: 'REQUEST.INVALID_BODY',
  invalidQuery: 'REQUEST.INVALID_QUERY',
  notFound: 'REQUEST.NOT_FOUND',
  methodNotAllowed: 'REQUEST.METHOD_NOT_ALLOWED',
  runNotFound: 'RUN.NOT_FOUND',
  runNotRunning: 'RUN.NOT_RUNNING',
  datasetNotFound: 'DATASET.NOT_FOUND',
  /** parseDatasetPath's code (domain/blobEvents). */
  notADataset: 'DATASET.BAD_PATH',
  internal: 'INTERNAL',
} as const;

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  [ApiCode.invalidJson]: 400,
  [ApiCode.invalidBody]: 400,
  [ApiCode.invalidQuery]: 400,
  [ApiCode.notADataset]: 400,
  [ApiCode.notFound]: 404,
  [ApiCode.runNotFound]: 404,
  [ApiCode.datasetNotFound]: 404,
  [ApiCode.methodNotAllowed]: 405,
  [ApiCode.runNotRunning]: 409,
};

/** Code families that are the caller's fault as a whole (bad overrides, a dataset rule). */
const STATUS_BY_PREFIX: readonly (readonly [string, number])[] = [['FINETUNE.', 400]];

export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code] ?? STATUS_BY_PREFIX.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 500;
}

export function errorResponse(problem: DomainProblem): HttpResponseInit {
  const status = httpStatusFor(problem.code);
  const body =
    status === 500 && problem.code !== ApiCode.internal
      ? { code: ApiCode.internal, message: 'the request could not be completed; try again later' }
      : {
          code: problem.code,
          message: problem.message,
          ...(problem.details === undefined ? {} : { details: problem.details }),
        };
  return { status, jsonBody: { error: body } };
}

export const internalError = (): HttpResponseInit =>
  errorResponse({ code: ApiCode.internal, message: 'the request could not be completed; try again later' });
