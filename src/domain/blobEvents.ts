// Which blob events start a run (docs/contracts.md "Blob layout"): a dataset's train file under incoming/,
// either `incoming/<name>/train.(jsonl|parquet)` or a single `incoming/<name>.(jsonl|parquet)`.
// Its siblings (test.*, finetune.json) are read when the run starts, so their own events are ignored.
import { fail, ok, type Result } from './errors.js';
import type { DatasetRef } from './runView.js';
import { unquoteEtag } from './runId.js';
import { readEventEnvelope, truncated } from './untrustedInput.js';

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

/**
 * Azure's limit on a blob name, which also refuses control characters (Microsoft Learn, Storage
 * REST API "Naming and Referencing Containers, Blobs, and Metadata",
 * https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).
 */
export const MAX_BLOB_NAME_LENGTH = 1_024;

/**
 * A path that names one blob under incoming/ and nothing else: the storage SDK and URLs resolve
 * `.` and `..` (so `incoming/../x` is the container root's `x`), and some tools turn `\` into `/`.
 */
export function checkBlobPath(path: string): Result<string> {
  const refuse = (why: string) =>
    fail({
      code: 'REQUEST.INVALID_DATASET_PATH' as const,
      message: `dataset path '${truncated(path)}' ${why}`,
    });
  if (path.length > MAX_BLOB_NAME_LENGTH) {
    return refuse(`is ${path.length} characters; Azure blob names are at most ${MAX_BLOB_NAME_LENGTH}`);
  }
  if (path.includes('\\')) return refuse("contains '\\'; use '/' between folders");
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(path)) return refuse('contains a control character');
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return refuse("has an empty, '.' or '..' segment; name a blob under incoming/ without them");
  }
  return ok(path);
}

/** Reads a dataset path; the error says what a dataset path looks like (also for POST /api/runs). */
export function parseDatasetPath(path: string): Result<DatasetPath> {
  const safe = checkBlobPath(path);
  if (!safe.ok) return safe;
  const folder = FOLDER.exec(path);
  if (folder?.[1] !== undefined)
    return ok({ kind: 'folder', name: folder[1], format: folder[2] as DatasetFormat });
  const single = SINGLE.exec(path);
  if (single?.[1] !== undefined)
    return ok({ kind: 'single', name: single[1], format: single[2] as DatasetFormat });
  return fail({
    code: 'DATASET.BAD_PATH',
    message: `'${truncated(path)}' is not a dataset path; expected incoming/<name>/train.jsonl (or .parquet) or incoming/<name>.jsonl (or .parquet)`,
  });
}

/** Whose events count: the app's storage account (from its storage settings) and container. */
export interface BlobEventSource {
  readonly storageAccount: string;
  readonly trainingContainer: string;
}

export type BlobEventMatch =
  { readonly dataset: DatasetRef; readonly kind: DatasetPath['kind'] } | { readonly ignore: string };

/** `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<account>` */
const STORAGE_TOPIC = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)$/i;

function eTagOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const key = Object.keys(data).find((k) => k.toLowerCase() === 'etag');
  const value = key === undefined ? undefined : (data as Record<string, unknown>)[key];
  // ETags are short ("0x8DC..."): a long one is junk, not a dataset version.
  return typeof value === 'string' && value !== '' && value.length <= 256 ? unquoteEtag(value) : undefined;
}

/**
 * The dataset a delivered event names, or why it is ignored. `value` is one element of the batch as
 * delivered: anything (null, a string, an event from another storage account) is an answer, never
 * an exception, so one bad event cannot fail its batch.
 */
export function datasetFromBlobEvent(value: unknown, source: BlobEventSource): BlobEventMatch {
  const envelope = readEventEnvelope(value);
  if ('ignore' in envelope) return { ignore: envelope.ignore };
  const { topic, eventType } = envelope.event;
  const ignore = (why: string): BlobEventMatch => ({ ignore: why });
  if (eventType.toLowerCase() !== BLOB_CREATED.toLowerCase())
    return ignore(`event type '${truncated(eventType)}' is not ${BLOB_CREATED}`);
  // Storage account names are lower case; Event Grid may vary the case of the rest of the id.
  const account = STORAGE_TOPIC.exec(topic)?.[1];
  if (account?.toLowerCase() !== source.storageAccount.toLowerCase()) {
    return ignore(`topic '${truncated(topic, 200)}' is not the storage account ${source.storageAccount}`);
  }
  const subject = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(envelope.event.subject);
  if (subject?.[1] === undefined || subject[2] === undefined) {
    return ignore(`subject '${truncated(envelope.event.subject)}' is not a blob`);
  }
  const [, container, path] = subject;
  if (container !== source.trainingContainer)
    return ignore(`container '${truncated(container)}' is not the training container`);
  if (!path.startsWith(INCOMING_PREFIX)) return ignore(`${truncated(path)} is outside ${INCOMING_PREFIX}`);
  const safe = checkBlobPath(path);
  if (!safe.ok) return ignore(`${safe.error.code}: ${safe.error.message}`);
  const parsed = parseDatasetPath(path);
  if (!parsed.ok) {
    const file = path.slice(path.lastIndexOf('/') + 1);
    if (/^test\.(jsonl|parquet)$/.test(file) || file === OVERRIDES_FILE) {
      return ignore(`${path} is read by its dataset's run, not a dataset itself`);
    }
    return ignore(`${path} is not a dataset train file`);
  }
  const etag = eTagOf(envelope.event.data);
  if (etag === undefined) return ignore(`event for ${path} carries no eTag`);
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
