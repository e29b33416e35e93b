// The dataset gate over real inputs: local files, stdin, any byte stream (a blob download), and
// Parquet through hyparquet. The rules themselves live in src/domain/dataset.
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { DatasetError } from '../domain/dataset/codes.js';
import { JsonlScanner, stringPromptId, type RowHandler } from '../domain/dataset/jsonl.js';
import { ReportBuilder } from '../domain/dataset/report.js';
import { destination, keyFor, normalizedLine, uniform, type SplitPlan } from '../domain/dataset/sampling.js';
import { looksLikeParquet } from '../domain/dataset/sniff.js';
import type {
  ByteSource,
  DatasetInput,
  DatasetProgress,
  PrepareOptions,
  PrepareResult,
  StagedSink,
  TextSink,
  ValidateAndPrepareOptions,
  ValidateOptions,
  ValidationReport,
} from '../domain/dataset/types.js';
import { nodeByteReader } from './byteReader.js';
import { isWrittenAsRead } from './preparedLine.js';
import { ParallelJsonl, workersAvailable, type KeptRowHandler } from './parallelJsonl.js';

/**
 * Read size for local files. Measured on 100k ultrachat-like rows: 64 KiB costs a quarter of the
 * throughput (per-chunk overhead); 1 MiB nearly doubles peak RSS (135 MB vs 77 MB) for no gain.
 */
const READ_CHUNK_BYTES = 256 * 1024;

/** An input that cannot be opened or read (missing file, a directory...): an I/O problem, not a bad dataset. */
export class DatasetInputError extends Error {
  override name = 'DatasetInputError';
}

/** Validates a dataset in one streaming pass. Throws only on I/O failure; a bad dataset is a report with valid=false. */
export async function validateDataset(
  input: DatasetInput,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const report = new ReportBuilder(input.format, options);
  await scan(input, report, options);
  return report.finish();
}

/**
 * Validates, samples and splits in one pass per input, writing normalized JSONL to the sinks.
 * The sinks are closed only when every input is valid; on invalid input writing stops, the sinks
 * are left unclosed for the caller to discard, and the reports say why.
 */
export async function prepareDataset(
  inputs: { train: DatasetInput; test?: DatasetInput },
  options: PrepareOptions,
  sinks: { train: TextSink; test: TextSink },
): Promise<PrepareResult> {
  const result = await splitPass(inputs, options, sinks, () => undefined);
  if (isValid(result)) {
    await sinks.train.close();
    await sinks.test.close();
  }
  return result;
}

/**
 * The dataset gate and its preparation in one read of each input: every row is checked and, in
 * the same pass, sampled, split and written to the staged sinks, which are committed only when
 * the whole dataset (and the test input, if any) is valid, and aborted otherwise or on failure.
 * `report` (and `testReport`) are exactly what validateDataset gives for the same input and
 * validate options. Throws only on I/O failure, after aborting both sinks.
 */
export async function validateAndPrepareDataset(
  inputs: { train: DatasetInput; test?: DatasetInput },
  options: ValidateAndPrepareOptions,
  sinks: { train: StagedSink; test: StagedSink },
): Promise<PrepareResult> {
  const progress = throttle(options.onProgress, options.progressIntervalInMs ?? PROGRESS_INTERVAL_MS);
  let result: PrepareResult;
  try {
    result = await splitPass(inputs, options, sinks, progress.update);
  } catch (error) {
    await Promise.allSettled([sinks.train.abort(), sinks.test.abort()]);
    throw error;
  }
  progress.end();
  if (!isValid(result)) {
    await Promise.all([sinks.train.abort(), sinks.test.abort()]);
    return result;
  }
  try {
    await Promise.all([sinks.train.commit(), sinks.test.commit()]);
  } catch (error) {
    await Promise.allSettled([sinks.train.abort(), sinks.test.abort()]);
    throw error;
  }
  return result;
}

const PROGRESS_INTERVAL_MS = 2000;

function isValid(result: PrepareResult): boolean {
  return result.report.valid && (result.testReport?.valid ?? true);
}

/** Calls `onProgress` at most once per interval while running, and with the final figures at the end. */
function throttle(
  onProgress: ((progress: DatasetProgress) => void) | undefined,
  intervalInMs: number,
): { update: (progress: DatasetProgress) => void; end: () => void } {
  if (onProgress === undefined) return { update: () => undefined, end: () => undefined };
  let last = Date.now();
  let latest: DatasetProgress | undefined;
  return {
    update(progress) {
      latest = progress;
      const now = Date.now();
      if (now - last < intervalInMs) return;
      last = now;
      onProgress({ ...progress });
    },
    end() {
      if (latest !== undefined) onProgress({ ...latest });
    },
  };
}

/** A normalized line: bytes from a worker thread, or text to encode (see RowHandler's encoding). */
type Line =
  | Uint8Array
  | { text: string; encoding: 'utf8' | 'latin1' }
  /** The input's own bytes, which already are the normalized line (no newline): a view, valid until the batch is written. */
  | { asRead: Uint8Array };

const LF = 0x0a;

/** A line that outlives its batch (the held-back row): a view of the input is copied. */
function owned(line: Line): Line {
  if (!('asRead' in line)) return line;
  const bytes = new Uint8Array(line.asRead.length + 1);
  bytes.set(line.asRead);
  bytes[line.asRead.length] = LF;
  return bytes;
}

/** The lines' UTF-8 bytes in one new buffer: one allocation per batch, handed over to the sink. */
function encodeLines(lines: readonly Line[]): Buffer {
  let total = 0;
  for (const line of lines)
    total +=
      line instanceof Uint8Array
        ? line.length
        : 'asRead' in line
          ? line.asRead.length + 1
          : Buffer.byteLength(line.text, line.encoding);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const line of lines) {
    if (line instanceof Uint8Array) {
      out.set(line, offset);
      offset += line.length;
    } else if ('asRead' in line) {
      out.set(line.asRead, offset);
      offset += line.asRead.length;
      out[offset++] = LF;
    } else {
      offset += out.write(line.text, offset, line.encoding);
    }
  }
  return out;
}

/** What splitPass writes to: UTF-8 bytes, whole lines. */
interface LineSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** Validates and splits every input, writing while the rows are valid; leaves the sinks open. */
async function splitPass(
  inputs: { train: DatasetInput; test?: DatasetInput },
  options: PrepareOptions,
  sinks: { train: LineSink; test: LineSink },
  onProgress: (progress: DatasetProgress) => void,
): Promise<PrepareResult> {
  const validate = options.validate ?? {};
  const counts = { train: 0, test: 0 };
  const plan: SplitPlan = {
    samplePercent: options.samplePercent,
    testPercent: inputs.test === undefined ? options.testPercent : 0,
    seed: options.seed,
  };
  let writing = true;
  /** Rows and bytes of the inputs already read, for progress over all of them. */
  const done = { rows: 0, bytes: 0 };

  // A small dataset can draw no test row at all (each row has testPercent% odds), and the run
  // needs one to smoke-test with. Until a test row is drawn, the train row most likely to be
  // drawn is held back (one row in memory); if none ever is, it becomes the test set.
  let reserve: { line: Line; score: number } | undefined;
  const holdBack = inputs.test === undefined && plan.testPercent > 0;

  /** `side` maps where the draw sends a kept row to the file it goes to (a test input's rows all go to test). */
  const pass = async (
    input: DatasetInput,
    side: (drawn: 'train' | 'test') => 'train' | 'test',
    reserveTestRow = false,
  ) => {
    const report = new ReportBuilder(input.format, validate);
    const batches = { train: [] as Line[], test: [] as Line[] };
    const keep = (where: 'train' | 'test', testScore: () => number, text: Line) => {
      if (!writing) return;
      if (!reserveTestRow || counts.test + batches.test.length > 0) {
        batches[where].push(text);
        return;
      }
      if (where === 'test') {
        if (reserve !== undefined) batches.train.push(reserve.line);
        reserve = undefined;
        batches.test.push(text);
        return;
      }
      const score = testScore();
      if (reserve === undefined || score < reserve.score) {
        if (reserve !== undefined) batches.train.push(reserve.line);
        reserve = { line: owned(text), score };
      } else {
        batches.train.push(text);
      }
    };
    const rows: RowSink = {
      plan,
      onRow: (line, valid, promptId, row, encoding, bytes) => {
        if (!valid || !writing) return;
        const key = keyFor(promptId, line);
        const drawn = destination(key, plan);
        if (drawn === 'skip') return;
        // A row already spelled as normalizedLine writes it is kept as a view of the input: written
        // when this chunk's batch is, before the scanner is given the next chunk.
        const value = row();
        const kept: Line =
          bytes !== undefined && isWrittenAsRead(value, encoding, bytes)
            ? { asRead: bytes }
            : { text: normalizedLine(value), encoding };
        keep(side(drawn), () => uniform(plan.seed, 'test', key), kept);
      },
      onKept: (_line, drawn, testScore, text) => keep(side(drawn), () => testScore, text),
    };
    // Rows are handed over after each chunk (or row group): bounded memory, and the sinks' backpressure holds.
    const flush = async () => {
      if (report.failed) writing = false;
      for (const side of ['train', 'test'] as const) {
        const lines = batches[side];
        if (lines.length === 0) continue;
        batches[side] = [];
        if (!writing) continue;
        counts[side] += lines.length;
        await sinks[side].write(encodeLines(lines));
      }
    };
    const tracked: ValidateOptions = {
      ...validate,
      onProgress: (bytes) => {
        validate.onProgress?.(bytes);
        onProgress({ rows: done.rows + report.rowsRead, bytes: done.bytes + bytes });
      },
    };
    await scan(input, report, tracked, rows, flush);
    const finished = report.finish();
    done.rows += finished.rows;
    done.bytes += finished.stats.bytes;
    onProgress({ ...done });
    return finished;
  };

  const report = await pass(inputs.train, (drawn) => drawn, holdBack);
  const held = reserve as { line: Line } | undefined;
  if (held !== undefined && writing) {
    // Only ever one row, and only when the draw gave test nothing but train at least one other row.
    const side = counts.test === 0 && counts.train > 0 ? 'test' : 'train';
    counts[side] += 1;
    await sinks[side].write(encodeLines([held.line]));
  }
  const testReport = inputs.test === undefined ? undefined : await pass(inputs.test, () => 'test');
  const valid = report.valid && (testReport?.valid ?? true);
  return {
    report,
    ...(testReport === undefined ? {} : { testReport }),
    trainRows: valid ? counts.train : 0,
    testRows: valid ? counts.test : 0,
  };
}

/** What a preparing pass does with the rows: the plan and the handlers for either way of scanning. */
interface RowSink {
  plan: SplitPlan;
  /** Every row read, in this thread. */
  onRow: RowHandler;
  /** Rows the sample kept, as worker threads drew and normalized them. */
  onKept: KeptRowHandler;
}

/** JSONL inputs at least this large may be parsed on worker threads. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
const MAX_THREADS = 4;

/**
 * Worker threads by default only where one core can be left to the main thread (reading, cutting
 * lines, replaying results): on 2 cores the workers' extra cost (copies, start-up, messages: about
 * a quarter more CPU) was measured to outweigh what they save (test/bench/validate.bench.ts).
 */
function threadsFor(input: DatasetInput, options: ValidateOptions): number {
  if (options.threads !== undefined) return options.threads;
  const size = input.random?.byteLength;
  if (size === undefined || size < PARALLEL_MIN_BYTES) return 0;
  const cores = availableParallelism();
  return cores > 2 ? Math.min(cores - 1, MAX_THREADS) : 0;
}

async function scan(
  input: DatasetInput,
  report: ReportBuilder,
  options: ValidateOptions,
  rows?: RowSink,
  afterBatch: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  if (input.format === 'parquet') {
    await scanParquet(input, report, options, rows?.onRow, afterBatch);
    return;
  }
  const threads = threadsFor(input, options);
  if (threads > 0 && workersAvailable()) {
    await scanInParallel(input, report, options, threads, rows, afterBatch);
    return;
  }
  const scanner = new JsonlScanner(report, { ...options, bytes: nodeByteReader }, rows?.onRow);
  for await (const chunk of input.stream()) {
    scanner.push(chunk);
    options.onProgress?.(scanner.bytesRead);
    await afterBatch();
    if (!scanner.wantsMore) break;
  }
  scanner.end();
  await afterBatch();
}

async function scanInParallel(
  input: DatasetInput,
  report: ReportBuilder,
  options: ValidateOptions,
  threads: number,
  rows: RowSink | undefined,
  afterBatch: () => Promise<void>,
): Promise<void> {
  const scanner = new ParallelJsonl(
    report,
    {
      threads,
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
      ...(options.batchBytes === undefined ? {} : { batchBytes: options.batchBytes }),
      ...(rows === undefined ? {} : { plan: rows.plan }),
    },
    rows?.onKept,
  );
  try {
    for await (const chunk of input.stream()) {
      scanner.push(chunk);
      options.onProgress?.(scanner.bytesRead);
      // Two batches per worker in flight: the workers never wait, memory stays bounded.
      await scanner.settle(2 * threads);
      await afterBatch();
      if (!scanner.wantsMore) break;
    }
    scanner.end();
    await scanner.finish();
  } finally {
    await scanner.close();
  }
  await afterBatch();
}

async function scanParquet(
  input: DatasetInput,
  report: ReportBuilder,
  options: ValidateOptions,
  onRow: RowHandler | undefined,
  afterBatch: () => Promise<void>,
): Promise<void> {
  const source = input.random;
  if (source === undefined)
    throw new DatasetInputError(`${input.name}: Parquet needs random access to the file`);
  report.setBytes(source.byteLength);
  if (source.byteLength === 0) return; // finish() reports the empty file
  // Loaded only for Parquet: hyparquet is most of the start-up time of a JSONL validation.
  const { asyncBuffer, parquetRowGroups, readParquetLayout } = await import('./parquetRows.js');
  let bytesRead = 0;
  const file = asyncBuffer(source, (n) => {
    bytesRead += n;
    options.onProgress?.(bytesRead);
  });
  const head = await source.read(0, Math.min(4, source.byteLength));
  if (!looksLikeParquet(head)) {
    report.fileError(
      DatasetError.invalidParquet,
      "the file is not Parquet (it does not start with 'PAR1'); JSONL files need a '.jsonl' name",
    );
    return;
  }
  let layout;
  try {
    layout = await readParquetLayout(file);
  } catch (error) {
    report.fileError(
      DatasetError.invalidParquet,
      `the Parquet file cannot be read (${(error as Error).message})`,
    );
    return;
  }
  if (!layout.columns.includes('messages')) {
    report.fileError(
      DatasetError.missingMessages,
      `the Parquet file has no 'messages' column (it has: ${layout.columns.join(', ')})`,
    );
    return;
  }
  let row = 0;
  try {
    for await (const rows of parquetRowGroups(file, layout)) {
      for (const value of rows) {
        row++;
        const valid = report.checkRow(row, value);
        onRow?.(row, valid, stringPromptId(value), () => value, 'utf8');
      }
      await afterBatch();
    }
  } catch (error) {
    if (error instanceof DatasetInputError) throw error;
    report.fileError(
      DatasetError.invalidParquet,
      `the Parquet file cannot be read after row ${row} (${(error as Error).message})`,
    );
  }
}

/** Format from a file name: .jsonl/.json -> JSONL, .parquet -> Parquet. */
export function formatFromName(name: string): 'jsonl' | 'parquet' | undefined {
  const ext = extname(name).toLowerCase();
  if (ext === '.jsonl' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  return undefined;
}

/** A local file; the format comes from its extension, else from its first bytes. */
export async function fileInput(path: string): Promise<DatasetInput> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new DatasetInputError(`cannot read '${path}': it is a directory`);
    size = info.size;
  } catch (error) {
    if (error instanceof DatasetInputError) throw error;
    throw new DatasetInputError(`cannot read '${path}': ${describeIoError(error)}`);
  }
  const random = fileByteSource(path, size);
  let format = formatFromName(path);
  if (format === undefined)
    format = looksLikeParquet(await random.read(0, Math.min(4, size))) ? 'parquet' : 'jsonl';
  return {
    name: basename(path),
    format,
    random,
    stream: () => readFileStream(path),
  };
}

async function* readFileStream(path: string): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))
      yield chunk as Uint8Array;
  } catch (error) {
    throw new DatasetInputError(`cannot read '${path}': ${describeIoError(error)}`);
  }
}

/** Random access to a local file; each read opens and closes it, so nothing is left open. */
export function fileByteSource(path: string, byteLength: number): ByteSource {
  return {
    byteLength,
    async read(start, end) {
      const handle = await open(path, 'r');
      try {
        const length = Math.max(0, Math.min(end, byteLength) - start);
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === length ? bytes : bytes.subarray(0, done);
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * Standard input. JSONL is streamed straight through; Parquet (recognised by 'PAR1') needs random
 * access, so it is spooled to a temporary file first. Call dispose() when done.
 */
export async function streamInput(
  name: string,
  stream: AsyncIterable<Uint8Array>,
): Promise<DatasetInput & { dispose(): Promise<void> }> {
  const iterator = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 4) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const rest = async function* (): AsyncIterable<Uint8Array> {
    yield* head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  };
  const first = head[0] ?? new Uint8Array(0);
  const firstBytes = first.length >= 4 ? first : Uint8Array.from(head.flatMap((c) => [...c]).slice(0, 4));
  if (!looksLikeParquet(firstBytes)) {
    return { name, format: 'jsonl', stream: rest, dispose: () => Promise.resolve() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'autopilot-stdin-'));
  const path = join(dir, 'input.parquet');
  const handle = await open(path, 'w');
  try {
    for await (const chunk of rest()) await handle.write(chunk);
  } finally {
    await handle.close();
  }
  const input = await fileInput(path);
  return { ...input, name, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A text file written under a temporary name beside its final one and renamed by close() (or
 * commit()), so a failed or interrupted run never leaves a half-written file under the final name.
 * Text is gathered into writes of about FILE_WRITE_BYTES, one in flight while the next fills.
 */
export async function fileSink(path: string): Promise<TextSink & StagedSink & { discard(): Promise<void> }> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let handle: FileHandle | undefined = await open(temp, 'w');
  let buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let writing: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const drain = async () => {
    await writing;
    if (failure !== undefined) throw failure;
    const h = handle;
    if (h === undefined || buffered.length === 0) return;
    const bytes = buffered.length === 1 && buffered[0] !== undefined ? buffered[0] : Buffer.concat(buffered);
    buffered = [];
    bufferedBytes = 0;
    writing = h.write(bytes).then(
      () => undefined,
      (error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      },
    );
  };
  const closeHandle = async () => {
    await writing.catch(() => undefined);
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  const close = async () => {
    await drain();
    await writing;
    if (failure !== undefined) throw failure;
    await closeHandle();
    await rename(temp, path);
  };
  const discard = async () => {
    buffered = [];
    await closeHandle();
    await unlink(temp).catch(() => undefined);
  };
  return {
    async write(data: string | Uint8Array) {
      if (handle === undefined) throw new Error(`${path} is already closed`);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data; // handed over: not copied
      buffered.push(bytes);
      bufferedBytes += bytes.length;
      if (bufferedBytes >= FILE_WRITE_BYTES) await drain();
    },
    close,
    commit: close,
    discard,
    abort: discard,
  };
}

/** About 1 MiB per file write: few system calls, little held in memory. */
const FILE_WRITE_BYTES = 1 << 20;

function describeIoError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}
