import { describe, expect, it } from 'vitest';
import { numberFrom } from '../../src/domain/wireValues.js';

describe('numberFrom', () => {
  it('takes JSON numbers and decimal text', () => {
    expect(numberFrom(3)).toBe(3);
    expect(numberFrom('5e-6')).toBe(0.000005);
    expect(numberFrom(' 3 ')).toBe(3);
    expect(numberFrom('-.5')).toBe(-0.5);
  });

  it('is NaN for anything else', () => {
    for (const value of ['', 'three', '0x10', '1,5', true, null, [], {}])
      expect(numberFrom(value), JSON.stringify(value)).toBeNaN();
  });
});
