// Which blob events start a run (docs/contracts.md "Blob layout"): a dataset's train file under incoming/,
// either `incoming/<name>/train.(jsonl|parquet)` or a single `incoming/<name>.(jsonl|parquet)`.
// Its siblings (test.*, finetune.json) are read when the run starts, so their own events are ignored.
import { fail, ok, type Result } from './errors.js';
import type { DatasetRef } from './runView.js';
import { unquoteEtag } from './runId.js';

export const INCOMING_PREFIX = 'incoming/';
export const OVERRIDES_FILE = 'finetune.json';
export const DATASET_FORMATS = ['jsonl', 'parquet'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];
const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';

export interface DatasetPath {
  /** `folder`: incoming/<name>/train.*, may have test.* beside it; `single`: incoming/<name>.*, split automatically. */
  readonly kind: 'folder' | 'single';
  readonly name: string;
  readonly format: DatasetFormat;
}

const FOLDER = /^incoming\/([^/]+)\/train\.(jsonl|parquet)$/;
const SINGLE = /^incoming\/([^/]+)\.(jsonl|parquet)$/;

/** Reads a dataset path; the error says what a dataset path looks like (also for POST /api/runs). */
export function parseDatasetPath(path: string): Result<DatasetPath> {
  const folder = FOLDER.exec(path);
  if (folder?.[1] !== undefined)
    return ok({ kind: 'folder', name: folder[1], format: folder[2] as DatasetFormat });
  const single = SINGLE.exec(path);
  if (single?.[1] !== undefined)
    return ok({ kind: 'single', name: single[1], format: single[2] as DatasetFormat });
  return fail({
    code: 'DATASET.BAD_PATH',
    message: `'${path}' is not a dataset path; expected incoming/<name>/train.jsonl (or .parquet) or incoming/<name>.jsonl (or .parquet)`,
  });
}

export interface BlobEventInput {
  readonly eventType: string;
  readonly subject: string;
  readonly data: unknown;
}

export type BlobEventMatch =
  { readonly dataset: DatasetRef; readonly kind: DatasetPath['kind'] } | { readonly ignore: string };

function eTagOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const key = Object.keys(data).find((k) => k.toLowerCase() === 'etag');
  const value = key === undefined ? undefined : (data as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? unquoteEtag(value) : undefined;
}

export function datasetFromBlobEvent(event: BlobEventInput, trainingContainer: string): BlobEventMatch {
  if (event.eventType !== BLOB_CREATED)
    return { ignore: `event type '${event.eventType}' is not ${BLOB_CREATED}` };
  const subject = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(event.subject);
  if (subject?.[1] === undefined || subject[2] === undefined) {
    return { ignore: `subject '${event.subject}' is not a blob` };
  }
  const [, container, path] = subject;
  if (container !== trainingContainer)
    return { ignore: `container '${container}' is not the training container` };
  if (!path.startsWith(INCOMING_PREFIX)) return { ignore: `${path} is outside ${INCOMING_PREFIX}` };
  const parsed = parseDatasetPath(path);
  if (!parsed.ok) {
    const file = path.slice(path.lastIndexOf('/') + 1);
    if (/^test\.(jsonl|parquet)$/.test(file) || file === OVERRIDES_FILE) {
      return { ignore: `${path} is read by its dataset's run, not a dataset itself` };
    }
    return { ignore: `${path} is not a dataset train file` };
  }
  const etag = eTagOf(event.data);
  if (etag === undefined) return { ignore: `event for ${path} carries no eTag` };
  return { dataset: { container, path, etag }, kind: parsed.value.kind };
}

export interface SiblingPaths {
  /** Held-out test files to look for, in order (folder datasets only). */
  readonly test?: readonly string[];
  readonly overrides: string;
}

/** Where a dataset's optional test split and overrides live. */
export function siblingPaths(path: string): SiblingPaths {
  const parsed = parseDatasetPath(path);
  if (!parsed.ok) throw new RangeError(parsed.error.message);
  const dir = `${INCOMING_PREFIX}${parsed.value.name}/`;
  const overrides = `${dir}${OVERRIDES_FILE}`;
  if (parsed.value.kind === 'single') return { overrides };
  return { test: DATASET_FORMATS.map((format) => `${dir}test.${format}`), overrides };
}
