import { DatasetError, type DatasetErrorCode } from './codes.js';

/** Bytes needed to recognise every signature below. */
export const SNIFF_BYTES = 8;
/** How far into the file a NUL byte marks it as binary. */
const BINARY_WINDOW = 4096;

const SIGNATURES: readonly { bytes: readonly number[]; code: DatasetErrorCode; message: string }[] = [
  {
    bytes: [0x1f, 0x8b],
    code: DatasetError.compressed,
    message: 'the file is gzip-compressed; decompress it first (gunzip)',
  },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    code: DatasetError.compressed,
    message: 'the file is a zip archive; extract the dataset from it first',
  },
  {
    bytes: [0x28, 0xb5, 0x2f, 0xfd],
    code: DatasetError.compressed,
    message: 'the file is zstd-compressed; decompress it first (unzstd)',
  },
  {
    bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    code: DatasetError.compressed,
    message: 'the file is xz-compressed; decompress it first (unxz)',
  },
  {
    bytes: [0x42, 0x5a, 0x68],
    code: DatasetError.compressed,
    message: 'the file is bzip2-compressed; decompress it first (bunzip2)',
  },
  {
    bytes: [0x50, 0x41, 0x52, 0x31],
    code: DatasetError.wrongFormat,
    message: "the file is Parquet, not JSONL; give it a '.parquet' name",
  },
  { bytes: [0xff, 0xfe], code: DatasetError.notUtf8, message: 'the file is UTF-16; save it as UTF-8' },
  { bytes: [0xfe, 0xff], code: DatasetError.notUtf8, message: 'the file is UTF-16; save it as UTF-8' },
];

export interface SniffVerdict {
  code: DatasetErrorCode;
  message: string;
}

/**
 * Recognises inputs that are certainly not JSONL from their first bytes: compressed archives,
 * Parquet, UTF-16 and binary data. Returns undefined when the bytes may be JSONL.
 */
export function sniffJsonl(head: Uint8Array): SniffVerdict | undefined {
  for (const { bytes, code, message } of SIGNATURES) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return { code, message };
  }
  const nul = head.subarray(0, BINARY_WINDOW).indexOf(0);
  if (nul >= 0) {
    return {
      code: DatasetError.binary,
      message: `the file looks binary (a NUL byte at offset ${nul}); expected UTF-8 text, one JSON object per line`,
    };
  }
  return undefined;
}

/** Parquet files begin (and end) with the magic "PAR1". */
export function looksLikeParquet(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}
