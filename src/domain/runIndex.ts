// The run index (docs/contracts.md "HTTP API", GET /api/runs): one summary row per run, so a list
// reads one page instead of every durable instance. Pure: the summary a run view gives, the row
// keys that make "newest first" the table's own order, and the continuation cursor callers hold.
import { lineOfDataset } from './line.js';
import type { DatasetRef, RunStatus, RunView, StepId } from './runView.js';

/** Every run status, for the list's `status` filter (the type is runView.ts's RunStatus). */
export const RUN_STATUSES = [
  'Running',
  'Succeeded',
  'NotDeployed',
  'RolledBack',
  'Failed',
  'Canceled',
] as const satisfies readonly RunStatus[];
// A status added to RunStatus but not here does not compile.
type MissingStatus = Exclude<RunStatus, (typeof RUN_STATUSES)[number]>;
const allStatusesListed: MissingStatus extends never ? true : MissingStatus = true;
void allStatusesListed;

export function isRunStatus(text: string): text is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(text);
}

/** One run in GET /api/runs: the run view's headline fields (GET /api/runs/{id} has the rest). */
export interface RunSummary {
  readonly runId: string;
  readonly line?: string;
  readonly dataset: DatasetRef;
  readonly status: RunStatus;
  readonly step: StepId;
  /** When the run's row was first written (the run's start); never changes after. */
  readonly startedAt: string;
  /** When the run reached its status, once it is not Running. */
  readonly endedAt?: string;
  /** The registered model, `name:version`, once registered. */
  readonly model?: string;
}

/**
 * The summary of a view. `firstSeenAt` is the start time used when the view has none yet (a run
 * indexed before its first step started); an existing row keeps its own start time.
 */
export function runSummaryOf(view: RunView, firstSeenAt: string): RunSummary {
  const starts = view.steps.flatMap((s) => (s.startedAt === undefined ? [] : [s.startedAt])).sort();
  const ends = view.steps.flatMap((s) => (s.endedAt === undefined ? [] : [s.endedAt])).sort();
  const line = view.line ?? lineOf(view.dataset.path);
  const endedAt = view.status === 'Running' ? undefined : ends.at(-1);
  const { name, version } = view.model ?? {};
  return {
    runId: view.runId,
    ...(line === undefined ? {} : { line }),
    dataset: { container: view.dataset.container, path: view.dataset.path, etag: view.dataset.etag },
    status: view.status,
    step: view.step,
    startedAt: starts[0] ?? firstSeenAt,
    ...(endedAt === undefined ? {} : { endedAt }),
    ...(name === undefined || version === undefined ? {} : { model: `${name}:${version}` }),
  };
}

function lineOf(path: string): string | undefined {
  const line = lineOfDataset(path);
  return line.ok ? line.value : undefined;
}

/** The partition of the listed rows: one, so the whole index is one ordered range. */
export const LIST_PARTITION = 'runs';
/** The partition of the lookup rows (row key = run id) that remember each run's list row key. */
export const ID_PARTITION = 'ids';

/** Milliseconds are inverted against this (9,999,999,999,999 = year 2286) and padded to 13 digits. */
const MAX_MS = 9_999_999_999_999;
const INVERTED_DIGITS = 13;

/**
 * The list row key: inverted start time, then the run id. Table Storage returns a partition in
 * row key order, so ascending row keys are newest first, ties in run id order; a run started
 * while a caller pages sorts before its cursor and never shifts the next page.
 */
export function listRowKey(startedAt: string, runId: string): string {
  const ms = Date.parse(startedAt);
  const inverted = MAX_MS - Math.min(Math.max(Number.isNaN(ms) ? 0 : ms, 0), MAX_MS);
  return `${String(inverted).padStart(INVERTED_DIGITS, '0')}_${runId}`;
}

/**
 * Where the next page starts: the table's own continuation (its x-ms-continuation-NextPartitionKey
 * and -NextRowKey), opaque: Azure encodes them its own way, Azurite as base64.
 */
export interface RunIndexCursor {
  readonly nextPartitionKey: string;
  readonly nextRowKey?: string;
}

/** Each continuation value: printable ASCII, no spaces, at most 1 KiB (the key size limit). */
const CONTINUATION_VALUE = /^[\x21-\x7e]{1,1024}$/;
const MAX_TOKEN_CHARS = 3_000;

/** The cursor as callers see it: opaque, URL-safe (base64url of JSON). */
export function encodeRunCursor(cursor: RunIndexCursor): string {
  const values =
    cursor.nextRowKey === undefined
      ? [cursor.nextPartitionKey]
      : [cursor.nextPartitionKey, cursor.nextRowKey];
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * A token of this API's shape, or undefined: anything else is the caller's mistake (400). A
 * well-formed token the table then refuses is answered 400 too (src/adapters/runIndex.ts).
 */
export function decodeRunCursor(token: string): RunIndexCursor | undefined {
  if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 1 || value.length > 2) return undefined;
  const valid = (v: unknown): v is string => typeof v === 'string' && CONTINUATION_VALUE.test(v);
  const [nextPartitionKey, nextRowKey] = value as unknown[];
  if (!valid(nextPartitionKey)) return undefined;
  if (value.length === 2 && !valid(nextRowKey)) return undefined;
  return { nextPartitionKey, ...(valid(nextRowKey) ? { nextRowKey } : {}) };
}

/** One page query: newest first, at most `top`, optionally only one status and one line. */
export interface RunIndexQuery {
  readonly top: number;
  readonly status?: RunStatus;
  readonly line?: string;
  readonly after?: RunIndexCursor;
}

export interface RunIndexPage {
  readonly runs: readonly RunSummary[];
  /** Absent on the last page. A page may hold fewer than `top` runs and still have a next one. */
  readonly next?: RunIndexCursor;
}
