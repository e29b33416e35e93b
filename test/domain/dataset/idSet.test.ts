import { describe, expect, it } from 'vitest';
import { HashedIdSet } from '../../../src/domain/dataset/idSet.js';

describe('HashedIdSet', () => {
  it('says whether an id is new, across growth of the table', () => {
    const set = new HashedIdSet();
    const ids = Array.from({ length: 50_000 }, (_, i) => `prompt-${i}`);
    expect(ids.every((id) => set.add(id))).toBe(true);
    expect(ids.filter((id) => set.add(id))).toEqual([]);
    expect(set.add('prompt-50000')).toBe(true);
  });

  it('tells apart ids that differ in one character or only in length', () => {
    const set = new HashedIdSet();
    expect(['a', 'b', 'ab', 'ba', '', 'é', 'e'].map((id) => set.add(id))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});
