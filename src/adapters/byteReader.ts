// Node's native byte helpers for the JSONL scanner (src/domain/dataset/jsonl.ts): it reads a
// line of valid UTF-8 as Latin-1, one char per byte, which V8 copies instead of transcoding.
import { isAscii, isUtf8 } from 'node:buffer';
import type { ByteReader } from '../domain/dataset/jsonl.js';

/** Grown on demand to the longest string measured; a multiple of 4 bytes for the word view. */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
let words = new Uint32Array(scratch.buffer, 0, scratch.length / 4);

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const nodeByteReader: ByteReader = {
  isAscii: (bytes) => isAscii(bytes),
  isUtf8: (bytes) => isUtf8(bytes),
  latin1: (bytes) => view(bytes).toString('latin1'),
  decodeLatin1: (latin1) => Buffer.from(latin1, 'latin1').toString('utf8'),
  utf16Length(latin1) {
    // UTF-16 units = chars that are not continuation bytes (10xxxxxx), plus one more for each
    // 4-byte sequence (11110xxx lead: a surrogate pair). Counted four bytes at a time, the
    // continuation bytes summed per byte lane (at most 255 words per lane before it overflows).
    const length = latin1.length;
    if (length + 4 > scratch.length) {
      scratch = Buffer.allocUnsafeSlow(4 * Math.ceil(((length + 4) * 2) / 4));
      words = new Uint32Array(scratch.buffer, 0, scratch.length / 4);
    }
    const bytes = scratch;
    const view = words;
    bytes.write(latin1, 0, 'latin1');
    bytes.writeUInt32LE(0, length); // zero the tail of the last word
    const count = (length + 3) >>> 2;
    let continuation = 0;
    let leads = 0; // any byte 1111xxxx, in its lane
    let i = 0;
    while (i < count) {
      const stop = Math.min(count, i + 255);
      let lanes = 0;
      for (; i < stop; i++) {
        const w = view[i] as number;
        lanes += (w & ~(w << 1) & 0x80808080) >>> 7;
        leads |= w & (w << 1) & (w << 2) & (w << 3);
      }
      continuation += laneSum(lanes);
    }
    // Leads of 4-byte sequences (emoji and other astral chars) are rare: counted only when present.
    let fourByte = 0;
    if ((leads & 0x80808080) !== 0) {
      for (let k = 0; k < count; k++) {
        const w = view[k] as number;
        fourByte += laneSum((w & (w << 1) & (w << 2) & (w << 3) & 0x80808080) >>> 7);
      }
    }
    return length - continuation + fourByte;
  },
};

/** Sum of the four byte lanes of a word. */
function laneSum(x: number): number {
  return (x & 0xff) + ((x >>> 8) & 0xff) + ((x >>> 16) & 0xff) + (x >>> 24);
}
