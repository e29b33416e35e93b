import { describe, expect, it } from 'vitest';
import { nodeByteReader } from '../../src/adapters/byteReader.js';

/** The Latin-1 reading of a text's UTF-8 bytes: what the scanner parses. */
const latin1Of = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('nodeByteReader', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 1],
    ['東京', 2],
    ['😀', 2], // a surrogate pair
    ['a😀bé東', 6],
    ['résumé café naïve', 17],
  ])('measures %j as %i UTF-16 units from its Latin-1 reading', (text, units) => {
    expect(nodeByteReader.utf16Length(latin1Of(text))).toBe(units);
  });

  it('measures texts of every length around a word boundary', () => {
    const lengths = Array.from({ length: 9 }, (_, n) => nodeByteReader.utf16Length(latin1Of('é'.repeat(n))));
    expect(lengths).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('measures texts longer than its starting scratch space and than a lane can count', () => {
    // 40,000 two-byte chars = 80,000 bytes: past the 64 KiB scratch and many 255-word lanes.
    expect(nodeByteReader.utf16Length(latin1Of('é'.repeat(40_000)))).toBe(40_000);
    expect(nodeByteReader.utf16Length(latin1Of(`${'x'.repeat(70_001)}😀`))).toBe(70_003);
  });

  it('reads bytes as ISO-8859-1 (0x80-0x9f stay themselves, unlike windows-1252)', () => {
    expect(nodeByteReader.latin1(Uint8Array.from([0x41, 0x80, 0x9f, 0xe9]))).toBe('A\u0080\u009f\u00e9');
  });

  it('turns a Latin-1 reading back into the text', () => {
    expect(nodeByteReader.decodeLatin1(latin1Of('prompt-東京-😀'))).toBe('prompt-東京-😀');
  });

  it('tells ASCII and valid UTF-8 apart from the rest', () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    expect([
      nodeByteReader.isAscii(bytes(0x61, 0x7f)),
      nodeByteReader.isAscii(bytes(0x61, 0xc3, 0xa9)),
      nodeByteReader.isUtf8(bytes(0x61, 0xc3, 0xa9)),
      nodeByteReader.isUtf8(bytes(0x61, 0xc3)),
      nodeByteReader.isUtf8(bytes(0xed, 0xa0, 0x80)), // an encoded surrogate
    ]).toEqual([true, false, true, false, false]);
  });
});
