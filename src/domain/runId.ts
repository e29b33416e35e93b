// Run identity (docs/contracts.md "Run id"): the same dataset version with the same requested overrides is
// the same run, so a duplicate event or request finds the run instead of starting a second one.
import { createHash } from 'node:crypto';

/** Storage quotes ETags (`"0x8D..."`), Event Grid does not: the run id uses the bare value. */
export function unquoteEtag(etag: string): string {
  const trimmed = etag.trim();
  const weak = trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
  return weak.length >= 2 && weak.startsWith('"') && weak.endsWith('"') ? weak.slice(1, -1) : weak;
}

/** JSON with object keys sorted at every depth, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

// Recursive: callers bound the depth first (overridesSizeProblem in src/domain/fineTuneParameters.ts).
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const sorted: [string, unknown][] = [];
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted.push([key, sortKeys(entry)]);
    }
    // fromEntries keeps a `__proto__` key as data (an assignment would set the prototype and drop it)
    return Object.fromEntries(sorted);
  }
  return value;
}

export interface RunIdInput {
  readonly container: string;
  readonly path: string;
  /** Quoted or not: it is unquoted before hashing. */
  readonly etag: string;
  /** The REQUESTED overrides (not the effective parameters); undefined means none. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
}

export const RUN_ID_PREFIX = 'ft-';
const RUN_ID_HASH_CHARS = 20;
const ENDPOINT_HASH_CHARS = 12;

/** `ft-` + the first 20 hex of sha256(canonical {container, path, etag, overrides}); `hash` is the full digest. */
export function computeRunId(input: RunIdInput): { runId: string; hash: string } {
  const hash = createHash('sha256')
    .update(
      canonicalJson({
        container: input.container,
        path: input.path,
        etag: unquoteEtag(input.etag),
        overrides: input.overrides ?? {},
      }),
    )
    .digest('hex');
  return { runId: RUN_ID_PREFIX + hash.slice(0, RUN_ID_HASH_CHARS), hash };
}

/** What computeRunId and forcedRunId produce; anything else is no run (checked before any lookup). */
const RUN_ID_PATTERN = /^ft-[0-9a-f]{20}(-r[1-9][0-9]{0,8})?$/;

export function isRunId(text: string): boolean {
  return RUN_ID_PATTERN.test(text);
}

/** The n-th forced re-run of a run (`force: true` on POST /api/runs). */
export function forcedRunId(runId: string, n: number): string {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`re-run number must be a whole number >= 1, got ${n}`);
  return `${runId}-r${n}`;
}

const HEX4 = /^[0-9a-f]{4}$/;

/**
 * Endpoint names are 3-32 chars, letter first, and unique per region: 12 hex of the run hash
 * plus 4 hex chosen by the caller (a durable newGuid) so a re-deploy never collides with a
 * deletion still in progress.
 */
export function endpointNameFor(hash: string, suffix4hex: string): string {
  const suffix = suffix4hex.toLowerCase();
  if (!HEX4.test(suffix)) throw new RangeError(`endpoint suffix must be 4 hex digits, got '${suffix4hex}'`);
  if (!/^[0-9a-f]{12,}$/.test(hash))
    throw new RangeError(`run hash must be at least 12 hex digits, got '${hash}'`);
  return `${RUN_ID_PREFIX}${hash.slice(0, ENDPOINT_HASH_CHARS)}-${suffix}`;
}
