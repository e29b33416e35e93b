import {
  CHARS_PER_TOKEN,
  DEFAULT_MAX_ERRORS,
  DatasetError,
  DatasetWarning,
  ROLES,
  type DatasetErrorCode,
  type DatasetWarningCode,
} from './codes.js';
import { HashedIdSet } from './idSet.js';
import { DistributionSketch } from './sketch.js';
import type { Finding, ValidateOptions, ValidationReport } from './types.js';

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
const NON_BLANK = /\S/;
/** In a Latin-1 reading: a char that is neither whitespace nor a UTF-8 byte, so the text is not blank. */
const SURELY_NOT_BLANK = /[^\s\x80-\xff]/;
const HIGH_CHAR = /[\x80-\xff]/;

/** What checkLatin1Row needs to turn a Latin-1 reading of UTF-8 back into UTF-16 terms. */
export interface Latin1Text {
  /** Length in UTF-16 code units of the UTF-8 text whose bytes are these chars. */
  utf16Length(latin1: string): number;
  /** The UTF-8 text whose bytes are these chars. */
  decodeLatin1(latin1: string): string;
}

export interface RowStats {
  turns: number;
  characters: number;
  systems: number;
  users: number;
  assistants: number;
}
/** Longest piece of user data quoted in a message. */
const QUOTE_LIMIT = 40;

/**
 * Accumulates the validation report over a stream of rows in one pass. Holds no row content:
 * counters, capped finding lists, a bounded sketch per distribution and an 8-byte hash per prompt_id.
 */
export class ReportBuilder {
  private readonly errors: Finding[] = [];
  private readonly warnings: Finding[] = [];
  private readonly counts: Record<string, number> = {};
  private readonly maxFindings: number;
  private readonly maxSeqLength: number | undefined;
  private readonly unit: 'line' | 'row';
  private readonly promptIds = new HashedIdSet();
  private readonly turns = new DistributionSketch();
  private readonly characters = new DistributionSketch();
  private readonly tokens = new DistributionSketch();
  private readonly roles = { system: 0, user: 0, assistant: 0 };
  private rows = 0;
  private validRows = 0;
  private blankLines = 0;
  private bytes = 0;
  private errorTotal = 0;

  constructor(
    readonly format: 'jsonl' | 'parquet',
    options: ValidateOptions = {},
  ) {
    this.maxFindings = options.maxErrors ?? DEFAULT_MAX_ERRORS;
    this.maxSeqLength = options.maxSeqLength;
    this.unit = format === 'jsonl' ? 'line' : 'row';
  }

  /** True once any error was recorded: the file is rejected. */
  get failed(): boolean {
    return this.errorTotal > 0;
  }

  /** Rows read so far, valid or not (for progress). */
  get rowsRead(): number {
    return this.rows;
  }

  /** A problem with the file as a whole (line 0). */
  fileError(code: DatasetErrorCode, message: string): void {
    this.errorTotal++;
    this.record(this.errors, 0, code, message);
  }

  /** A row that could not even be read (bad UTF-8, bad JSON, too long). */
  unreadableRow(line: number, code: DatasetErrorCode, detail: string): void {
    this.countRow();
    this.error(line, code, detail);
  }

  blankLine(): void {
    this.blankLines++;
  }

  setBytes(bytes: number): void {
    this.bytes = bytes;
  }

  /** Adds what a RowLog recorded, in order, as if this builder had checked those rows itself. */
  replay({ numbers, strings }: RowRecords): void {
    let s = 0;
    for (let i = 0; i < numbers.length;) {
      const op = numbers[i++];
      if (op === OP_ROW) this.countRow();
      else if (op === OP_BLANK) this.blankLines++;
      else if (op === OP_ERROR || op === OP_WARN) {
        const line = numbers[i++] as number;
        const code = strings[s++] as DatasetErrorCode & DatasetWarningCode;
        const detail = strings[s++] as string;
        if (op === OP_ERROR) this.error(line, code, detail);
        else this.warn(line, code, detail);
      } else {
        const line = numbers[i++] as number;
        const row = {
          turns: numbers[i++] as number,
          characters: numbers[i++] as number,
          systems: numbers[i++] as number,
          users: numbers[i++] as number,
          assistants: numbers[i++] as number,
        };
        this.acceptValid(line, op === OP_VALID_WITH_ID ? strings[s++] : undefined, row);
      }
    }
  }

  /** Checks one parsed row; returns whether it is valid (no errors). */
  checkRow(line: number, row: unknown): boolean {
    this.countRow();
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      const hint = Array.isArray(row) ? ' (a JSON array file must be converted to one object per line)' : '';
      return this.error(
        line,
        DatasetError.notAnObject,
        `expected a JSON object, got ${describe(row)}${hint}`,
      );
    }
    const record = row as Record<string, unknown>;
    const fieldWarnings: [string, string][] = [];
    for (const field of ['prompt', 'prompt_id']) {
      const value = record[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        fieldWarnings.push([field, describe(value)]);
      }
    }
    const messages = record.messages;
    if (messages === undefined) {
      return this.error(
        line,
        DatasetError.missingMessages,
        `no 'messages' field; expected an array of {role, content} messages`,
      );
    }
    if (!Array.isArray(messages)) {
      return this.error(
        line,
        DatasetError.messagesNotArray,
        `'messages' is ${describe(messages)}; expected an array of {role, content} messages`,
      );
    }
    if (messages.length === 0) {
      return this.error(
        line,
        DatasetError.emptyMessages,
        `'messages' is empty; expected at least a user and an assistant message`,
      );
    }

    let valid = true;
    let characters = 0;
    let users = 0;
    let assistants = 0;
    let systems = 0;
    for (let i = 0; i < messages.length; i++) {
      const message: unknown = messages[i];
      const n = i + 1;
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        valid = this.error(
          line,
          DatasetError.messageNotObject,
          `message ${n} is ${describe(message)}; expected an object with role and content`,
        );
        continue;
      }
      const { role, content } = message as Record<string, unknown>;
      if (typeof role !== 'string' || !ROLE_SET.has(role)) {
        const got = role === undefined ? 'has no role' : `has role ${quote(role)}`;
        valid = this.error(
          line,
          DatasetError.invalidRole,
          `message ${n} ${got}; expected system, user or assistant`,
        );
      } else if (role === 'user') users++;
      else if (role === 'assistant') assistants++;
      else systems++;
      if (typeof content !== 'string') {
        const got = content === undefined ? 'has no content' : `content is ${describe(content)}`;
        valid = this.error(line, DatasetError.invalidContent, `message ${n} ${got}; expected a string`);
      } else if (!NON_BLANK.test(content)) {
        valid = this.error(
          line,
          DatasetError.blankContent,
          `message ${n} content is blank; remove the message or give it text`,
        );
      } else {
        characters += content.length;
      }
    }
    if (valid && users === 0) {
      valid = this.error(
        line,
        DatasetError.noUserMessage,
        `no user message; a conversation needs at least one user and one assistant message`,
      );
    }
    if (valid && assistants === 0) {
      valid = this.error(
        line,
        DatasetError.noAssistantMessage,
        `no assistant message; a conversation needs at least one user and one assistant message`,
      );
    }
    if (!valid) return false;

    for (const [field, got] of fieldWarnings) {
      this.warn(line, DatasetWarning.fieldNotString, `'${field}' is ${got}; expected a string`);
    }
    this.checkConversation(line, record, messages as { role: string; content: string }[]);
    const promptId = record.prompt_id;
    this.acceptValid(line, typeof promptId === 'string' ? promptId : undefined, {
      turns: messages.length,
      characters,
      systems,
      users,
      assistants,
    });
    return true;
  }

  /**
   * checkRow for a row parsed from the Latin-1 reading of valid UTF-8 (one char per byte) that
   * holds no `\u` escape, so every char at or above 0x80 in its strings is one byte of a UTF-8
   * sequence. Such a reading decides exactly that a row is valid and raises no finding but a
   * duplicate id or too many tokens: then the row is recorded as checkRow would record it and its
   * prompt_id (decoded) is returned. Otherwise nothing is recorded and undefined says "check the
   * decoded row": findings quote user text, and the rare blank or mismatch needs the real chars.
   * Reading Latin-1 skips most of the cost of a row: V8 parses one-byte strings several times
   * faster than it transcodes UTF-8.
   */
  checkLatin1Row(line: number, row: unknown, text: Latin1Text): { promptId: string | undefined } | undefined {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
    const { prompt, prompt_id: promptId, messages } = row as Record<string, unknown>;
    if (prompt !== undefined && prompt !== null && typeof prompt !== 'string') return undefined;
    if (promptId !== undefined && promptId !== null && typeof promptId !== 'string') return undefined;
    if (!Array.isArray(messages) || messages.length === 0) return undefined;
    const start = (messages[0] as { role?: unknown } | null)?.role === 'system' ? 1 : 0;
    let characters = 0;
    let systems = 0;
    let firstUser: string | undefined;
    for (let i = 0; i < messages.length; i++) {
      const message: unknown = messages[i];
      if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
      const { role, content } = message as Record<string, unknown>;
      // The roles alternate after an optional system message; anything else is a finding.
      const expected = i < start ? 'system' : (i - start) % 2 === 0 ? 'user' : 'assistant';
      if (role !== expected || typeof content !== 'string') return undefined;
      if (!SURELY_NOT_BLANK.test(content)) return undefined;
      if (role === 'system') systems++;
      else if (firstUser === undefined) firstUser = content;
      characters += HIGH_CHAR.test(content) ? text.utf16Length(content) : content.length;
    }
    const turns = messages.length - start;
    if (turns < 2 || turns % 2 !== 0) return undefined; // no assistant, or ends with a user turn
    if (typeof prompt === 'string' && prompt !== firstUser) return undefined;
    const id =
      typeof promptId === 'string' && HIGH_CHAR.test(promptId) ? text.decodeLatin1(promptId) : promptId;
    const exactId = typeof id === 'string' ? id : undefined;
    this.countRow();
    this.acceptValid(line, exactId, {
      turns: messages.length,
      characters,
      systems,
      users: turns / 2,
      assistants: turns / 2,
    });
    return { promptId: exactId };
  }

  finish(): ValidationReport {
    if (this.rows === 0 && this.errorTotal === 0) {
      this.fileError(
        DatasetError.emptyFile,
        this.blankLines > 0
          ? `the file has only blank lines; expected one conversation per ${this.unit}`
          : `the file is empty; expected one conversation per ${this.unit}`,
      );
    }
    return {
      valid: !this.failed,
      format: this.format,
      rows: this.rows,
      validRows: this.validRows,
      errors: this.errors,
      warnings: this.warnings,
      counts: this.counts,
      stats: {
        bytes: this.bytes,
        blankLines: this.blankLines,
        turns: this.turns.summary(),
        characters: this.characters.summary(),
        estimatedTokens: this.tokens.summary(),
        roles: { ...this.roles },
      },
    };
  }

  /** Warnings about the shape of a conversation whose messages are all well formed. */
  private checkConversation(
    line: number,
    record: Record<string, unknown>,
    messages: { role: string; content: string }[],
  ): void {
    const start = messages[0]?.role === 'system' ? 1 : 0;
    for (let i = start; i < messages.length; i++) {
      const expected = (i - start) % 2 === 0 ? 'user' : 'assistant';
      const role = messages[i]?.role;
      if (role !== expected) {
        this.warn(
          line,
          DatasetWarning.rolesNotAlternating,
          `message ${i + 1} has role '${role}' where '${expected}' was expected; roles should alternate user/assistant after an optional leading system message`,
        );
        break;
      }
    }
    if (messages[messages.length - 1]?.role === 'user') {
      this.warn(
        line,
        DatasetWarning.endsWithUser,
        `the conversation ends with a user message; the last turn should be the assistant's answer`,
      );
    }
    const { prompt } = record;
    if (typeof prompt === 'string') {
      const firstUser = messages.find((m) => m.role === 'user')?.content;
      if (firstUser !== undefined && prompt !== firstUser && prompt.trim() !== firstUser.trim()) {
        this.warn(
          line,
          DatasetWarning.promptMismatch,
          `'prompt' differs from the first user message; training reads 'messages', so check which one is right`,
        );
      }
    }
  }

  /** Records a valid row: the findings that come after the conversation's, then its stats. */
  protected countRow(): void {
    this.rows++;
  }

  protected acceptValid(line: number, promptId: string | undefined, row: RowStats): void {
    this.validRows++;
    if (promptId !== undefined && !this.promptIds.add(promptId)) {
      this.warn(
        line,
        DatasetWarning.duplicatePromptId,
        `prompt_id ${quote(promptId)} already appeared on an earlier ${this.unit}`,
      );
    }
    const { characters } = row;
    const estimatedTokens = Math.ceil(characters / CHARS_PER_TOKEN);
    if (this.maxSeqLength !== undefined && estimatedTokens > this.maxSeqLength) {
      this.warn(
        line,
        DatasetWarning.tooManyTokens,
        `about ${estimatedTokens} tokens (${characters} characters / ${CHARS_PER_TOKEN}) exceed --max-seq-length ${this.maxSeqLength}; training may truncate it`,
      );
    }
    this.turns.add(row.turns);
    this.characters.add(characters);
    this.tokens.add(estimatedTokens);
    this.roles.system += row.systems;
    this.roles.user += row.users;
    this.roles.assistant += row.assistants;
  }

  /** Records an error; returns false so callers can write `valid = this.error(...)`. */
  protected error(line: number, code: DatasetErrorCode, detail: string): false {
    this.errorTotal++;
    this.record(this.errors, line, code, `${this.unit} ${line}: ${detail}`);
    return false;
  }

  protected warn(line: number, code: DatasetWarningCode, detail: string): void {
    this.record(this.warnings, line, code, `${this.unit} ${line}: ${detail}`);
  }

  private record(list: Finding[], line: number, code: string, message: string): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (list.length < this.maxFindings) list.push({ line, code, message });
  }
}

const OP_ROW = 1;
const OP_ERROR = 2;
const OP_WARN = 3;
const OP_VALID = 4;
const OP_VALID_WITH_ID = 5;
const OP_BLANK = 6;

/** What a RowLog recorded, in order: numbers and the strings they refer to (both cheap to post to another thread). */
export interface RowRecords {
  numbers: Float64Array;
  strings: string[];
}

/**
 * A ReportBuilder that keeps, instead of a report, the list of what its rows would add to one:
 * rows, findings, valid rows with their stats and prompt_id. Worker threads check rows with it;
 * the main thread replays the lists in file order into the real builder, which alone keeps what
 * depends on earlier rows (duplicate ids, the caps on findings, the sketches), so the report is
 * the one a single pass gives.
 */
export class RowLog extends ReportBuilder {
  private numbers: number[] = [];
  private strings: string[] = [];

  /** The records since the last call, and a fresh log. */
  take(): RowRecords {
    const records = { numbers: Float64Array.from(this.numbers), strings: this.strings };
    this.numbers = [];
    this.strings = [];
    return records;
  }

  override blankLine(): void {
    this.numbers.push(OP_BLANK);
  }

  protected override countRow(): void {
    this.numbers.push(OP_ROW);
  }

  protected override error(line: number, code: DatasetErrorCode, detail: string): false {
    this.numbers.push(OP_ERROR, line);
    this.strings.push(code, detail);
    return false;
  }

  protected override warn(line: number, code: DatasetWarningCode, detail: string): void {
    this.numbers.push(OP_WARN, line);
    this.strings.push(code, detail);
  }

  protected override acceptValid(line: number, promptId: string | undefined, row: RowStats): void {
    const { turns, characters, systems, users, assistants } = row;
    this.numbers.push(promptId === undefined ? OP_VALID : OP_VALID_WITH_ID, line);
    this.numbers.push(turns, characters, systems, users, assistants);
    if (promptId !== undefined) this.strings.push(promptId);
  }
}

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(DatasetError));

export function isError(code: string): boolean {
  return ERROR_CODES.has(code);
}

/** "a string", "an array", "null"... for messages about the wrong type. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'undefined':
      return 'missing';
    case 'bigint':
      return 'a number';
    default:
      return `a ${typeof value}`;
  }
}

/** A value quoted for a message, truncated so a finding never carries much user data. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const short = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
  return typeof value === 'string' ? `'${short}'` : short;
}
