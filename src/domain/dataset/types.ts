// The dataset gate's contract: what the validator reports and what it reads from.

/** One problem found in the dataset. `line` is 1-based (a row number for Parquet); 0 = the whole file. */
export interface Finding {
  line: number;
  code: string;
  message: string;
}

export interface ValidateOptions {
  /** Cap on the findings kept in `errors` and in `warnings` (each); `counts` always has the totals. Default 100. */
  maxErrors?: number;
  /** Warn when a conversation's estimated tokens (characters / 4) exceed this. */
  maxSeqLength?: number;
  /** Longest accepted JSONL line in bytes; longer lines are reported and skipped, never buffered. Default 8 MiB. */
  maxLineBytes?: number;
  /** Called now and then with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /**
   * Worker threads that parse JSONL (0 = this thread). Default for inputs of 16 MiB or more: the
   * host's cores less one, up to 4, when it has more than two; else 0. The report is the same either way.
   */
  threads?: number;
  /** Bytes of lines per batch sent to a worker thread (default 1 MiB; small values test batch edges). */
  batchBytes?: number;
}

/** A distribution over valid rows. Exact up to the sample size, estimated from a uniform sample beyond. */
export interface Distribution {
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface DatasetStats {
  /** Bytes read (JSONL) or the file size (Parquet). */
  bytes: number;
  /** Blank lines skipped (JSONL). */
  blankLines: number;
  /** Messages per valid conversation. */
  turns: Distribution;
  /** Characters (UTF-16 code units) of all message contents, per valid conversation. */
  characters: Distribution;
  /** characters / 4, rounded up: an estimate, not a tokenizer count. */
  estimatedTokens: Distribution;
  /** Messages per role over valid conversations. */
  roles: { system: number; user: number; assistant: number };
}

export interface ValidationReport {
  valid: boolean;
  format: 'jsonl' | 'parquet';
  rows: number;
  validRows: number;
  errors: Finding[];
  warnings: Finding[];
  /** Total findings per code, including those beyond `maxErrors`. */
  counts: Record<string, number>;
  stats: DatasetStats;
}

/** Random access, for Parquet. */
export interface ByteSource {
  readonly byteLength: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** A dataset as any adapter can offer it: a local file, stdin, a blob. */
export interface DatasetInput {
  readonly name: string;
  readonly format: 'jsonl' | 'parquet';
  stream(): AsyncIterable<Uint8Array>;
  /** Required for Parquet. */
  readonly random?: ByteSource;
}

export interface TextSink {
  /** Text, or UTF-8 bytes the caller no longer changes (prepareDataset writes bytes: lines it never decoded). */
  write(data: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Text written in the background and made visible all at once: nothing appears under the final
 * name until commit(); abort() drops what was written. write() waits only when its bounded
 * buffers are full, so the caller keeps reading while earlier text is stored.
 */
export interface StagedSink {
  /** Text, or UTF-8 bytes, which are the sink's from then on: the caller does not change them. */
  write(data: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** How far a pass over a dataset got: rows read (valid or not) and input bytes read, over all inputs. */
export interface DatasetProgress {
  rows: number;
  bytes: number;
}

export interface ValidateAndPrepareOptions extends PrepareOptions {
  /** Called during the pass at most once per `progressIntervalInMs`, and once at the end. */
  onProgress?: (progress: DatasetProgress) => void;
  /** Default 2000. */
  progressIntervalInMs?: number;
}

export interface PrepareOptions {
  /** Share of valid rows kept, 0 < p <= 100. */
  samplePercent: number;
  /** Share of the kept rows sent to test when there is no separate test input, 0 <= p < 100. */
  testPercent: number;
  seed: number;
  validate?: ValidateOptions;
}

export interface PrepareResult {
  report: ValidationReport;
  testReport?: ValidationReport;
  trainRows: number;
  testRows: number;
}
