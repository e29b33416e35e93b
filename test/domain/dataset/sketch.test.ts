import { describe, expect, it } from 'vitest';
import { DistributionSketch } from '../../../src/domain/dataset/sketch.js';

describe('DistributionSketch', () => {
  it('is exact below its capacity', () => {
    const sketch = new DistributionSketch(1000);
    for (let v = 100; v >= 1; v--) sketch.add(v);
    expect(sketch.summary()).toEqual({ min: 1, p50: 50, p95: 95, max: 100, mean: 50.5 });
  });

  it('estimates quantiles from a bounded sample beyond it, keeping exact min, max and mean', () => {
    const sketch = new DistributionSketch(1000);
    for (let v = 1; v <= 100_000; v++) sketch.add(v);
    const { min, p50, p95, max, mean } = sketch.summary();
    expect({ min, max, mean }).toEqual({ min: 1, max: 100_000, mean: 50_000.5 });
    expect(Math.abs(p50 - 50_000)).toBeLessThan(5_000);
    expect(Math.abs(p95 - 95_000)).toBeLessThan(3_000);
  });

  it('is all zeros when empty', () => {
    expect(new DistributionSketch().summary()).toEqual({ min: 0, p50: 0, p95: 0, max: 0, mean: 0 });
  });
});
