// The error body and status of the HTTP API (src/http/errors.ts): the status from the table of
// codes, the caller's message and details as given, and nothing of a service fault's internals.
import { describe, expect, it } from 'vitest';
import { errorResponse, httpStatusFor, internalError } from '../../src/http/errors.js';

describe('httpStatusFor', () => {
  it('is the status the table gives each code', () => {
    expect(httpStatusFor('REQUEST.INVALID_BODY')).toBe(400);
    expect(httpStatusFor('RUN.NOT_FOUND')).toBe(404);
    expect(httpStatusFor('REQUEST.METHOD_NOT_ALLOWED')).toBe(405);
    expect(httpStatusFor('RUN.NOT_RUNNING')).toBe(409);
    expect(httpStatusFor('DATASET.INVALID')).toBe(422);
    expect(httpStatusFor('STORAGE.UNAVAILABLE')).toBe(500);
  });
});

describe('errorResponse', () => {
  it('answers a caller problem with its code, message and details', () => {
    expect(
      errorResponse({
        code: 'REQUEST.INVALID_BODY',
        message: 'the body has 1 problem',
        details: [{ field: 'dataset', message: 'must be a string' }],
      }),
    ).toEqual({
      status: 400,
      jsonBody: {
        error: {
          code: 'REQUEST.INVALID_BODY',
          message: 'the body has 1 problem',
          details: [{ field: 'dataset', message: 'must be a string' }],
        },
      },
    });
  });

  it('leaves details out when the problem has none', () => {
    expect(errorResponse({ code: 'RUN.NOT_FOUND', message: 'no run ft-x' })).toEqual({
      status: 404,
      jsonBody: { error: { code: 'RUN.NOT_FOUND', message: 'no run ft-x' } },
    });
  });

  it('answers a 500 code as INTERNAL with the generic message, dropping its message and details', () => {
    expect(
      errorResponse({
        code: 'RUN.ORCHESTRATION_FAILED',
        message: 'TypeError at fineTuneRun.ts:12',
        details: { stack: 'at x' },
      }),
    ).toEqual({
      status: 500,
      jsonBody: {
        error: { code: 'INTERNAL', message: 'the request could not be completed; try again later' },
      },
    });
  });

  it('keeps the message of INTERNAL itself', () => {
    expect(errorResponse({ code: 'INTERNAL', message: 'try again' })).toEqual({
      status: 500,
      jsonBody: { error: { code: 'INTERNAL', message: 'try again' } },
    });
  });
});

describe('internalError', () => {
  it('is a 500 INTERNAL with the generic message', () => {
    expect(internalError()).toEqual({
      status: 500,
      jsonBody: {
        error: { code: 'INTERNAL', message: 'the request could not be completed; try again later' },
      },
    });
  });
});
