import { describe, expect, it } from 'vitest';
import {
  httpError,
  isRetryable,
  parseErrorBody,
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
