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
