import { hash } from 'node:crypto';

/** Where a valid row goes when preparing a dataset. */
export type Destination = 'train' | 'test' | 'skip';

export interface SplitPlan {
  samplePercent: number;
  /** Share of kept rows sent to test; 0 when the test set comes from its own file. */
  testPercent: number;
  seed: number;
}

/**
 * A row's key for sampling: its prompt_id when it has one (so duplicates and re-ordered files
 * land on the same side), else its line or row number.
 */
export function rowKey(row: unknown, line: number): string {
  const id = (row as { prompt_id?: unknown }).prompt_id;
  return keyFor(typeof id === 'string' ? id : undefined, line);
}

/** rowKey from a prompt_id already read (undefined when the row has no string prompt_id). */
export function keyFor(promptId: string | undefined, line: number): string {
  return promptId !== undefined ? `id:${promptId}` : `line:${line}`;
}

/**
 * Deterministic, order-independent decision from sha256(seed, purpose, key): the same key and
 * seed always give the same answer, on any machine.
 */
export function destination(key: string, plan: SplitPlan): Destination {
  if (uniform(plan.seed, 'sample', key) >= plan.samplePercent / 100) return 'skip';
  return uniform(plan.seed, 'test', key) < plan.testPercent / 100 ? 'test' : 'train';
}

/** A number in [0, 1) from the first 48 bits of the hash. */
export function uniform(seed: number, purpose: string, key: string): number {
  // One-shot hash() to hex: cheaper per row than createHash() or a Buffer digest, same 48 bits.
  const hex = hash('sha256', `${seed}\0${purpose}\0${key}`);
  return parseInt(hex.slice(0, 12), 16) / 2 ** 48;
}

/**
 * The line written for a prepared row: the ultrachat columns in a fixed order, messages reduced
 * to {content, role}, so every output file looks the same whatever produced the input.
 */
export function normalizedLine(row: unknown): string {
  const {
    prompt,
    prompt_id: promptId,
    messages,
  } = row as {
    prompt?: unknown;
    prompt_id?: unknown;
    messages: { content: string; role: string }[];
  };
  const out: Record<string, unknown> = {};
  if (prompt !== undefined && prompt !== null) out.prompt = jsonSafe(prompt);
  if (promptId !== undefined && promptId !== null) out.prompt_id = jsonSafe(promptId);
  out.messages = messages.map(({ content, role }) => ({ content, role }));
  return `${JSON.stringify(out)}\n`;
}

/** Parquet INT64 columns arrive as bigint, which JSON cannot hold: write them as strings. */
function jsonSafe(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The top-level keys normalizedLine writes, in its order. */
const NORMALIZED_KEYS = ['prompt', 'prompt_id', 'messages'] as const;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const SLASH = 0x2f;

/**
 * Whether `bytes`, the JSON text `row` was parsed from, already is normalizedLine(row) without its
 * newline, byte for byte (then the line can be written as read). Without a `\u` or `\/` escape,
 * every string in `bytes` is spelled the way JSON.stringify spells it (JSON.stringify escapes
 * exactly `"`, `\\`, \b \t \n \f \r with two chars, other control chars as `\u00xx`), so
 * normalizedLine(row) is as long as its members' keys, punctuation and string bytes plus one byte
 * per escape; anything else in `bytes` (whitespace, another key order, a duplicate or dropped
 * member) only makes it longer. `byteLength` measures a string as `bytes` hold it (UTF-8, or one
 * byte per char for a Latin-1 reading).
 */
export function isNormalizedLine(
  row: unknown,
  bytes: Uint8Array,
  byteLength: (text: string) => number,
): boolean {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const keys = Object.keys(row);
  let k = 0;
  for (const name of NORMALIZED_KEYS) if (keys[k] === name) k++;
  if (k !== keys.length || keys[k - 1] !== 'messages') return false;
  const { prompt, prompt_id: promptId, messages } = row as Record<string, unknown>;
  let length = 15; // {"messages":[]}
  if (prompt !== undefined) {
    if (typeof prompt !== 'string') return false;
    length += 12 + byteLength(prompt); // "prompt":"<prompt>",
  }
  if (promptId !== undefined) {
    if (typeof promptId !== 'string') return false;
    length += 15 + byteLength(promptId); // "prompt_id":"<id>",
  }
  if (!Array.isArray(messages)) return false;
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
    const names = Object.keys(message);
    if (names.length !== 2 || names[0] !== 'content' || names[1] !== 'role') return false;
    const { content, role } = message as Record<string, unknown>;
    if (typeof content !== 'string' || typeof role !== 'string') return false;
    length += (i > 0 ? 1 : 0) + 24 + byteLength(content) + byteLength(role); // {"content":"<c>","role":"<r>"}
    if (length > bytes.length) return false;
  }
  for (let at = bytes.indexOf(BACKSLASH); at >= 0; at = bytes.indexOf(BACKSLASH, at + 2)) {
    const next = bytes[at + 1];
    if (next === LOWER_U || next === SLASH) return false;
    length++;
  }
  return length === bytes.length;
}
