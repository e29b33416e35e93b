// The line a prepared dataset gets for a kept row. Most rows already are their normalized line
// (ultrachat's own files are written that way), and re-serializing them was the largest cost of
// preparing: such a row is copied as read instead, which is the same bytes (isNormalizedLine).
import { isNormalizedLine, normalizedLine } from '../domain/dataset/sampling.js';

const LF = 0x0a;
const latin1Length = (text: string): number => text.length;
const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Whether `bytes` (the JSON text `row` was parsed from) already are normalizedLine(row), less its newline. */
export function isWrittenAsRead(row: unknown, encoding: 'utf8' | 'latin1', bytes: Uint8Array): boolean {
  return isNormalizedLine(row, bytes, encoding === 'latin1' ? latin1Length : utf8Length);
}

/**
 * normalizedLine(row) in UTF-8, with its newline: a copy of `bytes` (the JSON text `row` was parsed
 * from) when they are that line already, else the serialized row. `encoding` is how `row`'s
 * strings hold the text (see RowHandler).
 */
export function preparedLine(
  row: unknown,
  encoding: 'utf8' | 'latin1',
  bytes: Uint8Array | undefined,
): Buffer {
  if (
    bytes !== undefined &&
    isNormalizedLine(row, bytes, encoding === 'latin1' ? latin1Length : utf8Length)
  ) {
    const line = Buffer.allocUnsafe(bytes.length + 1);
    line.set(bytes);
    line[bytes.length] = LF;
    return line;
  }
  return Buffer.from(normalizedLine(row), encoding);
}
