// Results and DomainError (src/domain/errors.ts): expected failures as values, and the one
// exception type that carries a stable code.
import { describe, expect, it } from 'vitest';
import { DomainError, fail, ok } from '../../src/domain/errors.js';

describe('ok and fail', () => {
  it('ok wraps a value', () => {
    expect(ok({ rows: 3 })).toEqual({ ok: true, value: { rows: 3 } });
  });

  it('fail wraps an error', () => {
    expect(fail({ code: 'RUN.NOT_FOUND', message: 'no run ft-x' })).toEqual({
      ok: false,
      error: { code: 'RUN.NOT_FOUND', message: 'no run ft-x' },
    });
  });
});

describe('DomainError', () => {
  it('carries its code, message and details, and is an Error named DomainError', () => {
    const error = new DomainError('DATASET.CHANGED', 'dataset incoming/a.jsonl changed', {
      path: 'incoming/a.jsonl',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DomainError');
    expect(error.code).toBe('DATASET.CHANGED');
    expect(error.message).toBe('dataset incoming/a.jsonl changed');
    expect(error.details).toEqual({ path: 'incoming/a.jsonl' });
  });

  it('has no details unless given', () => {
    expect(new DomainError('RUN.NOT_FOUND', 'no run ft-x').details).toBeUndefined();
  });
});
