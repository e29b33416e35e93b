/**
 * Set of 64-bit string hashes (two 32-bit FNV-1a variants) in an open-addressing table: 8 bytes
 * per id at most 50% load, so duplicate detection over 200k prompt ids costs a few MB and keeps no
 * id text. A false "duplicate" needs a 64-bit collision (about 1e-9 at 200k ids).
 */
export class HashedIdSet {
  private table = new Uint32Array(2 * 1024);
  private size = 0;

  /** Adds the id; returns false when it was already there. */
  add(id: string): boolean {
    let high = 0x811c9dc5;
    let low = 0x01000193 ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      high = Math.imul(high ^ c, 0x01000193);
      low = Math.imul(low ^ c, 0x5bd1e995);
      low ^= low >>> 15;
    }
    high >>>= 0;
    low = (low | 1) >>> 0; // a zero low word marks an empty slot
    if ((this.size + 1) * 2 > this.table.length / 2) this.grow();
    return this.insert(high, low);
  }

  private insert(high: number, low: number): boolean {
    const slots = this.table.length / 2;
    let slot = (high ^ Math.imul(low, 0x9e3779b1)) >>> 0;
    for (;;) {
      slot &= slots - 1;
      const h = this.table[2 * slot];
      const l = this.table[2 * slot + 1];
      if (l === 0) {
        this.table[2 * slot] = high;
        this.table[2 * slot + 1] = low;
        this.size++;
        return true;
      }
      if (h === high && l === low) return false;
      slot++;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      const low = old[i + 1] ?? 0;
      if (low !== 0) this.insert(old[i] ?? 0, low);
    }
  }
}
