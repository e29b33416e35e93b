import { describe, expect, it } from 'vitest';
import { createHttpHeaders, RestError } from '@azure/core-rest-pipeline';
import {
  httpError,
  isRetryable,
  KEPT_RETRY_AFTER_MS_HEADER,
  parseErrorBody,
  retryAfterInMs,
  retryAfterSeconds,
  ServiceUnavailableError,
  toServiceError,
} from '../../src/adapters/errors.js';
import { DomainError } from '../../src/domain/errors.js';

describe('service errors', () => {
  it('reads ARM, MLflow and plain-text error bodies', () => {
    expect(parseErrorBody('{"error":{"code":"UserError","message":"bad input"}}')).toEqual({
      code: 'UserError',
      message: 'bad input',
    });
    expect(parseErrorBody('{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no run"}')).toEqual({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'no run',
    });
    expect(parseErrorBody('upstream timed out')).toEqual({ message: 'upstream timed out' });
    expect(parseErrorBody('<?xml version="1.0"?><Error/>')).toEqual({});
    expect(parseErrorBody(undefined)).toEqual({});
  });

  it('maps 4xx to DomainError codes and 429/5xx to retryable errors', () => {
    const said = { code: 'Conflict', message: 'exists' };
    expect(httpError('AZUREML', 'PUT x', 409, said)).toMatchObject({
      name: 'DomainError',
      code: 'AZUREML.CONFLICT',
      message: 'PUT x: Conflict: exists',
    });
    expect(httpError('AZUREML', 'PUT x', 403, said)).toMatchObject({ code: 'AZUREML.FORBIDDEN' });
    expect(httpError('AZUREML', 'PUT x', 418, said)).toMatchObject({ code: 'AZUREML.REQUEST_REJECTED' });
    expect(httpError('AZUREML', 'PUT x', 429, said)).toMatchObject({
      code: 'AZUREML.THROTTLED',
      retryable: true,
    });
    expect(httpError('AZUREML', 'PUT x', 502, {})).toMatchObject({
      code: 'AZUREML.UNAVAILABLE',
      message: 'PUT x: HTTP 502 HTTP502: no message (gave up after retries)',
    });
  });

  it('a failed long-running operation keeps its code; a service-side one stays retryable', () => {
    expect(
      toServiceError(
        'AZUREML',
        'DELETE endpoint e',
        new Error('The long-running operation has failed. InternalServerError. boom'),
      ),
    ).toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'AZUREML.UNAVAILABLE',
      message: 'DELETE endpoint e: InternalServerError: boom',
    });
    expect(
      toServiceError('AZUREML', 'PUT x', new Error('The long-running operation has failed')),
    ).toMatchObject({
      name: 'DomainError',
      code: 'AZUREML.OPERATION_FAILED',
      message: 'PUT x: OperationFailed: no message',
    });
  });

  it('isRetryable is false only for DomainError', () => {
    expect(isRetryable(new DomainError('DATASET.INVALID', 'no'))).toBe(false);
    expect(isRetryable(new ServiceUnavailableError('AZUREML.UNAVAILABLE', 'later'))).toBe(true);
    expect(isRetryable(new Error('unexpected'))).toBe(true);
  });
});

describe('Retry-After', () => {
  const headers = (values: Record<string, string>) => createHttpHeaders(values);

  it('reads Retry-After as seconds, and the millisecond headers as milliseconds', () => {
    expect(retryAfterInMs(headers({ 'retry-after': '120' }))).toBe(120_000);
    expect(retryAfterInMs(headers({ 'retry-after-ms': '1500' }))).toBe(1500);
    expect(retryAfterInMs(headers({ 'x-ms-retry-after-ms': '250' }))).toBe(250);
  });

  it('reads Retry-After as an HTTP date, relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterInMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:02:00 GMT' }), () => now)).toBe(
      120_000,
    );
  });

  it('prefers the wait the throttle policy kept over the standard headers', () => {
    expect(retryAfterInMs(headers({ [KEPT_RETRY_AFTER_MS_HEADER]: '90000', 'retry-after': '5' }))).toBe(
      90_000,
    );
  });

  it('is undefined when the answer names no wait, or an unreadable one', () => {
    expect(retryAfterInMs(headers({}))).toBeUndefined();
    expect(retryAfterInMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });

  it('rounds up to whole seconds for the error details', () => {
    expect(retryAfterSeconds(headers({ 'retry-after-ms': '1500' }))).toBe(2);
    expect(retryAfterSeconds(undefined)).toBeUndefined();
  });

  it('puts the wait a throttled service asked for in the details and the message', () => {
    const error = httpError(
      'AZUREML',
      'PUT job ft-x',
      429,
      { code: 'TooManyRequests', message: 'slow' },
      120,
    );
    expect(error).toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'AZUREML.THROTTLED',
      message: 'PUT job ft-x: HTTP 429 TooManyRequests: slow (gave up after retries; it asks to wait 120 s)',
      details: {
        status: 429,
        serviceCode: 'TooManyRequests',
        operation: 'PUT job ft-x',
        retryAfterSeconds: 120,
      },
    });
  });

  it('leaves the wait out of a 4xx that is not a throttle', () => {
    expect(httpError('AZUREML', 'PUT x', 409, { code: 'Conflict' }, 120).details).toEqual({
      status: 409,
      serviceCode: 'Conflict',
      operation: 'PUT x',
    });
  });

  it("reads the wait from an SDK call's failed response", () => {
    const request = { url: 'https://x', method: 'GET', headers: createHttpHeaders() } as never;
    const rest = new RestError('Service Unavailable', {
      statusCode: 503,
      request,
      response: {
        status: 503,
        headers: headers({ [KEPT_RETRY_AFTER_MS_HEADER]: '90000' }),
        request,
        bodyAsText: '',
      },
    });
    expect(toServiceError('AZUREML', 'GET job ft-x', rest)).toMatchObject({
      code: 'AZUREML.UNAVAILABLE',
      details: { status: 503, retryAfterSeconds: 90 },
    });
  });
});
