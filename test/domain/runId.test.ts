import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  computeRunId,
  endpointNameFor,
  forcedRunId,
  isRunId,
  unquoteEtag,
} from '../../src/domain/runId.js';

// Expected digests computed independently: sha256 of the literal JSON text shown in each test.
const DEFAULT_HASH = 'd6d611a5d854edeb158659269c9c404ddfaefb48469fd47cf7a7f4c82195806e';

describe('unquoteEtag', () => {
  it('removes the quotes storage puts around an ETag', () => {
    expect(unquoteEtag('"0x8DC0FFEE"')).toBe('0x8DC0FFEE');
  });
  it('leaves an unquoted ETag (Event Grid form) as it is', () => {
    expect(unquoteEtag('0x8DC0FFEE')).toBe('0x8DC0FFEE');
  });
  it('drops a weak validator prefix', () => {
    expect(unquoteEtag('W/"abc"')).toBe('abc');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
  it('drops undefined members like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });
});

describe('computeRunId', () => {
  const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x8DC0FFEE' };

  it('hashes {container, etag, overrides: {}, path} when there are no overrides', () => {
    // sha256('{"container":"training-data","etag":"0x8DC0FFEE","overrides":{},"path":"incoming/chat/train.jsonl"}')
    expect(computeRunId(dataset)).toEqual({ runId: 'ft-d6d611a5d854edeb1586', hash: DEFAULT_HASH });
  });

  it('gives the same run for a quoted ETag (storage SDK) and an unquoted one (Event Grid)', () => {
    expect(computeRunId({ ...dataset, etag: '"0x8DC0FFEE"' }).runId).toBe('ft-d6d611a5d854edeb1586');
  });

  it('treats empty overrides like none', () => {
    expect(computeRunId({ ...dataset, overrides: {} }).hash).toBe(DEFAULT_HASH);
  });

  it('does not depend on the order of override keys', () => {
    // sha256('{"container":"training-data","etag":"0x8DC0FFEE","overrides":{"learning_rate":0.0001,"num_train_epochs":1},"path":"incoming/chat/train.jsonl"}')
    const expected = 'ft-a15ae1d0110418088444';
    expect(
      computeRunId({ ...dataset, overrides: { num_train_epochs: 1, learning_rate: 0.0001 } }).runId,
    ).toBe(expected);
    expect(
      computeRunId({ ...dataset, overrides: { learning_rate: 0.0001, num_train_epochs: 1 } }).runId,
    ).toBe(expected);
  });

  it('gives a new dataset version (new ETag) a new run', () => {
    expect(computeRunId({ ...dataset, etag: '0x8DC0FFEF' }).runId).not.toBe('ft-d6d611a5d854edeb1586');
  });
});

describe('forcedRunId', () => {
  it('appends -r<n>', () => {
    expect(forcedRunId('ft-d6d611a5d854edeb1586', 2)).toBe('ft-d6d611a5d854edeb1586-r2');
  });
  it('rejects n below 1', () => {
    expect(() => forcedRunId('ft-x', 0)).toThrow('re-run number must be a whole number >= 1, got 0');
  });
});

describe('endpointNameFor', () => {
  it('is ft- + 12 hex of the hash + - + the 4 hex suffix (22 chars, letter first)', () => {
    const name = endpointNameFor(DEFAULT_HASH, 'A1B2');
    expect(name).toBe('ft-d6d611a5d854-a1b2');
    expect(name).toMatch(/^[a-z][a-z0-9-]{2,31}$/);
  });
  it('rejects a suffix that is not 4 hex digits', () => {
    expect(() => endpointNameFor(DEFAULT_HASH, 'xyz1')).toThrow(
      "endpoint suffix must be 4 hex digits, got 'xyz1'",
    );
  });
});

describe('isRunId', () => {
  it('accepts ft- + 20 hex and its forced re-runs', () => {
    expect(
      ['ft-d6d611a5d854edeb1586', 'ft-d6d611a5d854edeb1586-r1', 'ft-d6d611a5d854edeb1586-r100'].map(isRunId),
    ).toEqual([true, true, true]);
  });
  it('refuses what a client can put in a URL segment instead', () => {
    const junk = [
      '?',
      '/',
      'a/b',
      '\u0000',
      ' ',
      '%',
      'ft-d6d611a5d854edeb1586?x=',
      'ft-d6d611a5d854edeb1586/',
      'ft-D6D611A5D854EDEB1586',
      'ft-d6d611a5d854edeb158',
      'ft-d6d611a5d854edeb1586-r0',
      'ft-d6d611a5d854edeb1586-r',
      '',
    ];
    expect(junk.filter(isRunId)).toEqual([]);
  });
});

describe('canonicalJson and prototype names', () => {
  it('keeps a __proto__ key as data, so it names the run like any other key', () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":2}}'))).toBe('{"__proto__":{"x":2},"b":1}');
  });
});
