import type { Distribution } from './types.js';

/** Default reservoir size: quantiles are exact up to this many values. */
export const SKETCH_CAPACITY = 16_384;

/**
 * Bounded-memory distribution: exact min/max/mean, p50/p95 from a uniform reservoir sample
 * (exact while fewer than `capacity` values were seen). A fixed-seed generator keeps reports
 * reproducible run to run.
 */
export class DistributionSketch {
  private readonly sample: Float64Array;
  private seen = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private state = 0x9e3779b9;

  constructor(private readonly capacity = SKETCH_CAPACITY) {
    this.sample = new Float64Array(capacity);
  }

  add(value: number): void {
    this.seen++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.seen <= this.capacity) {
      this.sample[this.seen - 1] = value;
      return;
    }
    const slot = this.nextRandom() % this.seen;
    if (slot < this.capacity) this.sample[slot] = value;
  }

  summary(): Distribution {
    if (this.seen === 0) return { min: 0, p50: 0, p95: 0, max: 0, mean: 0 };
    const sorted = this.sample.slice(0, Math.min(this.seen, this.capacity)).sort();
    return {
      min: this.min,
      p50: nearestRank(sorted, 0.5),
      p95: nearestRank(sorted, 0.95),
      max: this.max,
      mean: Math.round((this.sum / this.seen) * 10) / 10,
    };
  }

  /** xorshift32: fast, deterministic, good enough for choosing reservoir slots. */
  private nextRandom(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

function nearestRank(sorted: Float64Array, q: number): number {
  const index = Math.max(0, Math.ceil(q * sorted.length) - 1);
  return sorted[index] ?? 0;
}
