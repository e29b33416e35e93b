// `autopilot upload <train file> --line <name> [--test <file>] [--overrides <json file>]`: puts a
// dataset where a run starts from it (docs/contracts.md "Blob layout"): `incoming/<line>/` in the
// training container, the test split and finetune.json first and `train.<ext>` last, because the
// run reads its siblings when the train file's BlobCreated event starts it. Prints the run id that
// event starts, computed as the app computes it (src/domain/runId.ts) from the train blob's ETag
// and the overrides as parsed. The overrides are checked here first: a bad file uploads nothing.
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { INCOMING_PREFIX, OVERRIDES_FILE, DATASET_FORMATS, parseDatasetPath } from '../domain/blobEvents.js';
import type { ErrorCode } from '../domain/errorCodes.js';
import type { DomainProblem } from '../domain/errors.js';
import { lineIdOf } from '../domain/line.js';
import { computeRunId, unquoteEtag } from '../domain/runId.js';
import { ExitCode, UsageError, parseCommandLine, type CliIo } from './args.js';
import { cliSettings, readStackFile, stateDirOf } from './connection.js';
import { readOverridesFile, reportProblem } from './overrides.js';
import { formatBytes } from './validate.js';

const PROGRAM = 'autopilot upload';
const USAGE = [
  'usage: autopilot upload <train file> --line <name> [--test <file>] [--overrides <json file>] [--json]',
  '  storage: --connection-string S (or AZURE_STORAGE_CONNECTION_STRING), or --account-url https://<account>.blob.core.windows.net',
  '           (Entra ID through DefaultAzureCredential), else the local stack found in --state-dir DIR (AUTOPILOT_STATE_DIR)',
  "  --container NAME   the training container (default: TRAINING_CONTAINER, the local stack's, or training-data)",
].join('\n');

const DEFAULT_CONTAINER = 'training-data';
/** Smaller uploads finish too fast to need progress. */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;
const PROGRESS_REDRAW_MS = 250;
const UPLOAD_BLOCK_BYTES = 8 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
};

interface Target {
  readonly container: ContainerClient;
  readonly name: string;
}

/** Where to upload: flags, then the environment, then the local stack's state file. */
async function storageTarget(values: {
  'connection-string'?: string | undefined;
  'account-url'?: string | undefined;
  container?: string | undefined;
  'state-dir'?: string | undefined;
}): Promise<Target> {
  const settings = cliSettings();
  if (values['connection-string'] !== undefined && values['account-url'] !== undefined) {
    throw new UsageError('pass --connection-string or --account-url, not both');
  }
  const named = values.container ?? settings.trainingContainer;
  const connect = (service: BlobServiceClient, fallback: string): Target => {
    const name = named ?? fallback;
    return { container: service.getContainerClient(name), name };
  };
  const connectionString = values['connection-string'];
  if (connectionString !== undefined)
    return connect(fromConnectionString(connectionString), DEFAULT_CONTAINER);
  const accountUrl = values['account-url'];
  if (accountUrl !== undefined) {
    checkAccountUrl(accountUrl);
    // Loaded only here: the identity library is large and only this path needs it.
    const { DefaultAzureCredential } = await import('@azure/identity');
    return connect(new BlobServiceClient(accountUrl, new DefaultAzureCredential()), DEFAULT_CONTAINER);
  }
  if (settings.storageConnectionString !== undefined) {
    return connect(fromConnectionString(settings.storageConnectionString), DEFAULT_CONTAINER);
  }
  const stateDir = stateDirOf(values, settings);
  const stack = readStackFile(stateDir);
  if (stack === undefined) {
    throw new UsageError(
      `no storage to upload to: pass --connection-string (or set AZURE_STORAGE_CONNECTION_STRING) or --account-url, or start the local stack with 'npm start' (no stack.json in ${stateDir})`,
    );
  }
  return connect(fromConnectionString(stack.storageConnectionString), stack.trainingContainer);
}

function fromConnectionString(connectionString: string): BlobServiceClient {
  try {
    return BlobServiceClient.fromConnectionString(connectionString);
  } catch {
    // The SDK's message may quote the string, key included: say only what is wrong.
    throw new UsageError(
      'the storage connection string is not one (expected AccountName=...;AccountKey=...;...)',
    );
  }
}

/** `.jsonl` or `.parquet`, from a local file's name. */
function formatOf(file: string, role: string): string | DomainProblem {
  const ext = extname(file).slice(1).toLowerCase();
  if ((DATASET_FORMATS as readonly string[]).includes(ext)) return ext;
  return {
    code: 'DATASET.BAD_PATH',
    message: `${file}: the ${role} file must end in .jsonl or .parquet (it is uploaded as ${role}.<ext>)`,
  };
}

async function sizeOf(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file}: not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(error as Error).message}`,
    );
  }
}

/**
 * Upload progress on stderr for large files: on a terminal one line redrawn in place, otherwise a
 * plain line each time another tenth is done; nothing for small files or with --json.
 */
export function uploadProgress(
  io: CliIo,
  name: string,
  size: number,
  json: boolean,
): { update: (loadedBytes: number) => void; done: () => void } | undefined {
  if (json || size < PROGRESS_MIN_BYTES) return undefined;
  const of = formatBytes(size);
  if (io.stderr.isTTY === true) {
    let last = 0;
    const draw = (bytes: number): void => {
      const bar = '#'.repeat(Math.floor((bytes / size) * 30)).padEnd(30, '.');
      io.stderr.write(`\r${name} [${bar}] ${Math.floor((bytes / size) * 100)}% of ${of}   `);
    };
    return {
      update(bytes) {
        const now = Date.now();
        if (now - last < PROGRESS_REDRAW_MS) return;
        last = now;
        draw(bytes);
      },
      done() {
        draw(size);
        io.stderr.write('\n');
      },
    };
  }
  let tenths = 0;
  return {
    update(bytes) {
      const reached = Math.floor((bytes / size) * 10);
      if (reached <= tenths) return;
      tenths = reached;
      io.stderr.write(`${name}: ${reached * 10}% of ${of} uploaded\n`);
    },
    done() {
      if (tenths < 10) io.stderr.write(`${name}: 100% of ${of} uploaded\n`);
      tenths = 10;
    },
  };
}

function checkAccountUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const shown = parsed === undefined ? url : `${parsed.origin}${parsed.pathname}`;
  if (parsed === undefined || parsed.search !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new UsageError(
      `--account-url must be the blob service URL alone, e.g. https://<account>.blob.core.windows.net (no query, no SAS), got '${shown}'`,
    );
  }
  // The storage SDK refuses to send a bearer token over plain http, with a less helpful message.
  if (parsed.protocol !== 'https:') {
    throw new UsageError(
      `--account-url must be https: Entra ID tokens are only sent over TLS, got '${shown}'`,
    );
  }
}

const STORAGE_OUTCOMES: Readonly<Record<number, ErrorCode>> = {
  401: 'STORAGE.UNAUTHORIZED',
  403: 'STORAGE.FORBIDDEN',
  404: 'STORAGE.NOT_FOUND',
  409: 'STORAGE.CONFLICT',
};

/**
 * A storage failure. The SDK's message is left out (it may carry a URL with a SAS); a sign-in
 * failure of DefaultAzureCredential is shown, as it says which credentials it tried.
 */
function storageFailure(io: CliIo, json: boolean, what: string, error: unknown): number {
  const status = (error as { statusCode?: unknown }).statusCode;
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  const signIn =
    name === 'CredentialUnavailableError' || name === 'AuthenticationError'
      ? `${name}: ${String((error as Error).message).split('\n', 1)[0] ?? ''}`
      : undefined;
  const why = [
    typeof status === 'number' ? `status ${status}` : undefined,
    typeof code === 'string' ? code : undefined,
    signIn,
  ]
    .filter((x) => x !== undefined)
    .join(', ');
  const message = `${what} failed${why === '' ? '' : ` (${why})`}`;
  const outcome: ErrorCode =
    signIn !== undefined
      ? 'STORAGE.UNAUTHORIZED'
      : typeof status === 'number'
        ? (STORAGE_OUTCOMES[status] ?? (status >= 500 ? 'STORAGE.UNAVAILABLE' : 'STORAGE.REQUEST_REJECTED'))
        : 'STORAGE.UNREACHABLE';
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: outcome, message } })}\n`);
  else io.stderr.write(`${PROGRAM}: ${outcome}: ${message}\n`);
  return ExitCode.usage;
}

interface Uploaded {
  readonly file: string;
  readonly blob: string;
  readonly bytes: number;
}

export async function upload(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    line: { type: 'string' },
    test: { type: 'string' },
    overrides: { type: 'string' },
    'connection-string': { type: 'string' },
    'account-url': { type: 'string' },
    container: { type: 'string' },
    'state-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(
      `${positionals.length === 0 ? 'expected the train file' : `expected one train file, got ${positionals.length}`}\n${USAGE}`,
    );
  }
  if (values.line === undefined)
    throw new UsageError(`--line is required (the dataset's name: its serving line)\n${USAGE}`);
  const json = values.json;
  const trainFile = positionals[0];
  const line = values.line;

  // Everything that can be wrong with the input is found before anything is uploaded.
  const trainFormat = formatOf(trainFile, 'train');
  if (typeof trainFormat !== 'string') return reportProblem(io, PROGRAM, json, trainFormat);
  const trainPath = `${INCOMING_PREFIX}${line}/train.${trainFormat}`;
  const parsed = parseDatasetPath(trainPath);
  if (!parsed.ok || parsed.value.kind !== 'folder') {
    return reportProblem(io, PROGRAM, json, {
      code: parsed.ok ? 'DATASET.BAD_PATH' : parsed.error.code,
      message: `--line '${line}' cannot name a dataset folder: ${parsed.ok ? 'it must be one path segment' : parsed.error.message}`,
    });
  }
  const dir = `${INCOMING_PREFIX}${line}/`;
  let testPath: string | undefined;
  if (values.test !== undefined) {
    const testFormat = formatOf(values.test, 'test');
    if (typeof testFormat !== 'string') return reportProblem(io, PROGRAM, json, testFormat);
    testPath = `${dir}test.${testFormat}`;
  }
  const overrides = values.overrides === undefined ? undefined : await readOverridesFile(values.overrides);
  if (overrides !== undefined && 'problem' in overrides)
    return reportProblem(io, PROGRAM, json, overrides.problem);
  const trainBytes = await sizeOf(trainFile);
  const testBytes = values.test === undefined ? 0 : await sizeOf(values.test);

  const target = await storageTarget(values);
  const where = (blob: string): string => `${target.name}/${blob}`;
  const say = (text: string): void => {
    if (!json) io.stdout.write(`${text}\n`);
  };
  try {
    if (!(await target.container.exists())) {
      const message = `container '${target.name}' does not exist in that storage account; the deployment creates it (or pass --container)`;
      const code: ErrorCode = 'STORAGE.NOT_FOUND';
      if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
      else io.stderr.write(`${PROGRAM}: ${code}: ${message}\n`);
      return ExitCode.usage;
    }
  } catch (error) {
    return storageFailure(io, json, `reaching container '${target.name}'`, error);
  }

  const uploaded: Uploaded[] = [];
  const removed: string[] = [];
  let etag: string;
  try {
    // A sibling left from an earlier upload would be read by this run: the folder holds this upload only.
    const stale = [
      ...DATASET_FORMATS.map((format) => `${dir}test.${format}`).filter((p) => p !== testPath),
      ...(overrides === undefined ? [`${dir}${OVERRIDES_FILE}`] : []),
    ];
    for (const blob of stale) {
      const result = await target.container.deleteBlob(blob, { deleteSnapshots: 'include' }).then(
        () => true,
        (error: unknown) => {
          if ((error as { statusCode?: unknown }).statusCode === 404) return false;
          throw error;
        },
      );
      if (result) {
        removed.push(blob);
        say(`removed  ${where(blob)} (left from an earlier upload; not part of this one)`);
      }
    }
    if (values.test !== undefined && testPath !== undefined) {
      await uploadFile(io, json, target.container, values.test, testPath, testBytes);
      uploaded.push({ file: values.test, blob: testPath, bytes: testBytes });
      say(`uploaded ${basename(values.test)} -> ${where(testPath)} (${formatBytes(testBytes)})`);
    }
    if (overrides !== undefined && values.overrides !== undefined) {
      const blob = `${dir}${OVERRIDES_FILE}`;
      await target.container.getBlockBlobClient(blob).uploadData(overrides.bytes, {
        blobHTTPHeaders: { blobContentType: CONTENT_TYPES.json },
      });
      uploaded.push({ file: values.overrides, blob, bytes: overrides.bytes.length });
      say(
        `uploaded ${basename(values.overrides)} -> ${where(blob)} (${formatBytes(overrides.bytes.length)})`,
      );
    }
    etag = await uploadFile(io, json, target.container, trainFile, trainPath, trainBytes);
    uploaded.push({ file: trainFile, blob: trainPath, bytes: trainBytes });
    say(`uploaded ${basename(trainFile)} -> ${where(trainPath)} (${formatBytes(trainBytes)})`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return storageFailure(io, json, `uploading to container '${target.name}'`, error);
  }

  // Unquoted, as the run view shows it (DatasetRef.etag).
  const dataset = { container: target.name, path: trainPath, etag: unquoteEtag(etag) };
  const { runId } = computeRunId({ ...dataset, overrides: overrides?.overrides ?? {} });
  const lineId = lineIdOf(parsed.value.name);
  if (json) {
    io.stdout.write(`${JSON.stringify({ runId, line: lineId, dataset, uploaded, removed })}\n`);
  } else {
    say(`\nrun ${runId} starts on line ${lineId} (the BlobCreated event of ${trainPath} starts it)`);
    say(`follow it: autopilot runs watch ${runId}`);
  }
  return ExitCode.ok;
}

export default upload;

/** One local file to one block blob, streamed; the new blob's ETag. */
async function uploadFile(
  io: CliIo,
  json: boolean,
  container: ContainerClient,
  file: string,
  blob: string,
  size: number,
): Promise<string> {
  const progress = uploadProgress(io, basename(file), size, json);
  const format = extname(blob).slice(1);
  const response = await container.getBlockBlobClient(blob).uploadFile(file, {
    blockSize: UPLOAD_BLOCK_BYTES,
    concurrency: UPLOAD_CONCURRENCY,
    blobHTTPHeaders: { blobContentType: CONTENT_TYPES[format] ?? 'application/octet-stream' },
    ...(progress === undefined ? {} : { onProgress: ({ loadedBytes }) => progress.update(loadedBytes) }),
  });
  progress?.done();
  if (response.etag === undefined) throw new UsageError(`the storage service returned no ETag for ${blob}`);
  return response.etag;
}
