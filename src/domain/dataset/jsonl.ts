import { DEFAULT_MAX_LINE_BYTES, DatasetError } from './codes.js';
import type { Latin1Text, ReportBuilder } from './report.js';
import { SNIFF_BYTES, sniffJsonl } from './sniff.js';

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;

/**
 * Called for every readable row, with whether it passed the rules and its prompt_id when that is
 * a string (exact). `row()` gives the row as parsed: with `encoding` 'utf8' exactly what
 * JSON.parse gives for the UTF-8 text; with 'latin1' its Latin-1 reading, whose strings hold the
 * UTF-8 bytes one per char, so JSON written from it and encoded as Latin-1 is the exact UTF-8.
 * `bytes`, when given, is the JSON text the row was parsed from (no BOM, no CR; a view valid during
 * the call only).
 */
export type RowHandler = (
  line: number,
  valid: boolean,
  promptId: string | undefined,
  row: () => unknown,
  encoding: 'utf8' | 'latin1',
  bytes?: Uint8Array,
) => void;

/**
 * What the platform offers to read bytes without transcoding them (Node: node:buffer's isAscii
 * and isUtf8, Buffer's latin1 decoding). Without it every line is decoded as UTF-8, which costs
 * more than parsing it; with it the report is the same, byte for byte.
 */
export interface ByteReader extends Latin1Text {
  isAscii(bytes: Uint8Array): boolean;
  isUtf8(bytes: Uint8Array): boolean;
  /** One char per byte (ISO-8859-1, not windows-1252). */
  latin1(bytes: Uint8Array): string;
}

export interface ScannerOptions {
  maxLineBytes?: number;
  bytes?: ByteReader;
}

/**
 * Splits a byte stream into JSONL lines. Works on raw chunks: newlines are found with a native
 * byte search and each line is handed on as a view of the chunk (valid during the call only);
 * only a line split across chunks is copied, and never beyond `maxLineBytes`. Sniffs the head
 * for inputs that are certainly not JSONL (reported on the report as a file error).
 */
export abstract class JsonlSplitter {
  protected readonly maxLineBytes: number;
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  /** Inside a too-long line: drop bytes until the next newline. */
  private skipping = false;
  /** Bytes held back until there are enough to recognise the file type. */
  private head: Uint8Array | undefined = new Uint8Array(0);
  private stopped = false;
  private lineNo = 0;
  private bytes = 0;

  constructor(
    protected readonly report: ReportBuilder,
    maxLineBytes: number | undefined,
  ) {
    this.maxLineBytes = maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** One line (without its LF); `line` is 1-based. */
  protected abstract onLine(bytes: Uint8Array, line: number): void;
  /** A line longer than maxLineBytes, skipped. */
  protected abstract onTooLong(line: number): void;

  get bytesRead(): number {
    return this.bytes;
  }

  /** False once the input was recognised as something other than JSONL: stop reading. */
  get wantsMore(): boolean {
    return !this.stopped;
  }

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    this.bytes += chunk.length;
    if (this.head !== undefined) {
      if (this.head.length > 0) chunk = concat([this.head, chunk], this.head.length + chunk.length);
      if (chunk.length < SNIFF_BYTES) {
        this.head = copyOf(chunk); // the producer may reuse its buffer
        return;
      }
      this.head = undefined;
      if (!this.sniff(chunk)) return;
    }
    this.scan(chunk);
  }

  end(): void {
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      if (head.length > 0 && this.sniff(head)) this.scan(head);
    }
    if (this.stopped) return;
    if (this.carryBytes > 0) {
      this.lineNo++;
      this.onLine(concat(this.carry, this.carryBytes), this.lineNo);
      this.carry = [];
      this.carryBytes = 0;
    } else if (this.skipping) {
      this.skipping = false;
    }
    this.report.setBytes(this.bytes);
  }

  private sniff(head: Uint8Array): boolean {
    const verdict = sniffJsonl(head);
    if (verdict === undefined) return true;
    this.report.fileError(verdict.code, verdict.message);
    this.stopped = true;
    this.report.setBytes(this.bytes);
    return false;
  }

  private scan(chunk: Uint8Array): void {
    let start = 0;
    if (this.skipping || this.carryBytes > 0) {
      const newline = chunk.indexOf(LF);
      if (newline < 0) {
        this.hold(chunk);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else {
        this.lineNo++;
        const piece = chunk.subarray(0, newline);
        if (this.carryBytes + piece.length > this.maxLineBytes) this.onTooLong(this.lineNo);
        else this.onLine(concat([...this.carry, piece], this.carryBytes + piece.length), this.lineNo);
        this.carry = [];
        this.carryBytes = 0;
      }
      start = newline + 1;
    }
    for (;;) {
      const newline = chunk.indexOf(LF, start);
      if (newline < 0) break;
      this.lineNo++;
      if (newline - start > this.maxLineBytes) this.onTooLong(this.lineNo);
      else this.onLine(chunk.subarray(start, newline), this.lineNo);
      start = newline + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** Keeps the start of a line that continues in the next chunk (copied: chunks may be reused). */
  private hold(rest: Uint8Array): void {
    if (this.skipping) return;
    if (this.carryBytes + rest.length > this.maxLineBytes) {
      this.lineNo++;
      this.onTooLong(this.lineNo);
      this.carry = [];
      this.carryBytes = 0;
      this.skipping = true;
      return;
    }
    this.carry.push(copyOf(rest)); // a copy: a view would pin the producer's whole chunk
    this.carryBytes += rest.length;
  }
}

/** The finding for a line longer than maxLineBytes. */
export function reportTooLong(report: ReportBuilder, line: number, maxLineBytes: number): void {
  report.unreadableRow(
    line,
    DatasetError.lineTooLong,
    `longer than ${maxLineBytes} bytes (--max-line-bytes); skipped`,
  );
}

/** Checks one JSONL line at a time against the rules, recording on the report. */
export class LineChecker {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(
    private readonly report: ReportBuilder,
    private readonly reader: ByteReader | undefined,
    private readonly onRow?: RowHandler,
  ) {}

  check(bytes: Uint8Array, line: number): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    let begin = 0;
    if (line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) begin = 3;
    if (isBlank(bytes, begin, end)) {
      if (end > begin || begin === 0) this.report.blankLine(); // a lone BOM is not a blank line
      return;
    }
    const body = bytes.subarray(begin, end);
    const reader = this.reader;
    if (reader !== undefined) {
      // ASCII read as Latin-1 is the exact text, only cheaper to get.
      if (reader.isAscii(body)) return this.parse(reader.latin1(body), line, body);
      if (!hasUnicodeEscape(body) && reader.isUtf8(body) && this.tryLatin1(reader, body, line)) return;
    }
    let text: string;
    try {
      text = this.decoder.decode(body);
    } catch {
      const at = firstInvalidUtf8(body);
      this.report.unreadableRow(
        line,
        DatasetError.notUtf8,
        `not valid UTF-8 (bad byte at column ${at + 1}); save the file as UTF-8`,
      );
      return;
    }
    this.parse(text, line, body);
  }

  /** The fast reading of a clean row; false when the row needs the decoded text (nothing recorded). */
  private tryLatin1(reader: ByteReader, body: Uint8Array, line: number): boolean {
    let row: unknown;
    try {
      row = JSON.parse(reader.latin1(body));
    } catch {
      return false; // the error message must quote the decoded text
    }
    const clean = this.report.checkLatin1Row(line, row, reader);
    if (clean === undefined) return false;
    this.onRow?.(line, true, clean.promptId, () => row, 'latin1', body);
    return true;
  }

  private parse(text: string, line: number, body: Uint8Array): void {
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      // A lone bracket is the classic sign of a pretty-printed JSON file given for JSONL.
      const hint = /^\s*[[{]\s*$/.test(text)
        ? 'the file looks like pretty-printed JSON; expected one complete JSON object per line'
        : 'expected one JSON object per line';
      this.report.unreadableRow(
        line,
        DatasetError.invalidJson,
        `not valid JSON (${(error as Error).message}); ${hint}`,
      );
      return;
    }
    const valid = this.report.checkRow(line, row);
    this.onRow?.(line, valid, stringPromptId(row), () => row, 'utf8', body);
  }
}

/** Splits a byte stream into JSONL lines and checks each one, in this thread. */
export class JsonlScanner extends JsonlSplitter {
  private readonly checker: LineChecker;

  constructor(report: ReportBuilder, options: ScannerOptions = {}, onRow?: RowHandler) {
    super(report, options.maxLineBytes);
    this.checker = new LineChecker(report, options.bytes, onRow);
  }

  protected onLine(bytes: Uint8Array, line: number): void {
    this.checker.check(bytes, line);
  }

  protected onTooLong(line: number): void {
    reportTooLong(this.report, line, this.maxLineBytes);
  }
}

/** A row's prompt_id when it is a string. */
export function stringPromptId(row: unknown): string | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const id = (row as { prompt_id?: unknown }).prompt_id;
  return typeof id === 'string' ? id : undefined;
}

/** Whether the bytes hold a backslash followed by 'u' (a JSON \uXXXX escape, or an escaped backslash before a 'u'). */
function hasUnicodeEscape(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(BACKSLASH); i >= 0; i = bytes.indexOf(BACKSLASH, i + 2)) {
    if (bytes[i + 1] === LOWER_U) return true;
  }
  return false;
}

function isBlank(bytes: Uint8Array, begin: number, end: number): boolean {
  for (let i = begin; i < end; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Index of the first byte that breaks UTF-8 (only called once decoding failed). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

/** A copy of just these bytes. Not `bytes.slice()`: on a Node Buffer that is a view of the same memory. */
function copyOf(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}
