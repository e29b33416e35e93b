// JSONL checked on worker threads. Parsing is most of a validation's cost and rows are
// independent, so the main thread only cuts the stream into lines (the same JsonlSplitter as a
// single-threaded scan: same line numbers, same too-long lines), copies them into batches of about
// a MiB, and replays each batch's result in file order into the one ReportBuilder: the report is
// byte for byte a single-threaded scan's.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { JsonlSplitter } from '../domain/dataset/jsonl.js';
import type { ReportBuilder, RowRecords } from '../domain/dataset/report.js';
import type { SplitPlan } from '../domain/dataset/sampling.js';

export interface WorkerSetup {
  maxLineBytes: number;
  /** Set when preparing: the worker samples and normalizes the rows it keeps. */
  plan?: SplitPlan;
}

export interface BatchRequest {
  id: number;
  bytes: Uint8Array;
  /** (line, start, end) per line; start -1 for a line too long to read. */
  entries: Float64Array;
}

export interface BatchResult {
  id: number;
  records: RowRecords;
  /** (line, 0 train | 1 test, test score, start, end) per kept row; its normalized line is keptBytes[start, end). */
  kept: Float64Array;
  keptBytes: Uint8Array;
}

/** A row the sample keeps, as a worker decided it; `line` is its normalized JSONL line in UTF-8 (a view: copy to keep). */
export type KeptRowHandler = (
  line: number,
  where: 'train' | 'test',
  testScore: number,
  bytes: Uint8Array,
) => void;

const WORKER_URL = new URL('./datasetWorker.js', import.meta.url);
const DEFAULT_BATCH_BYTES = 1 << 20;

/** False where the worker script is not built (TypeScript sources run by the test runner). */
export function workersAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

export class ParallelJsonl extends JsonlSplitter {
  private readonly workers: Worker[];
  private readonly batchBytes: number;
  private batch: Uint8Array;
  private filled = 0;
  private entries: number[] = [];
  private nextId = 0;
  private nextApplied = 0;
  private readonly results = new Map<number, BatchResult>();
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    report: ReportBuilder,
    options: { maxLineBytes?: number; plan?: SplitPlan; threads: number; batchBytes?: number },
    private readonly onKept?: KeptRowHandler,
  ) {
    super(report, options.maxLineBytes);
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.batch = new Uint8Array(this.batchBytes);
    const setup: WorkerSetup = {
      maxLineBytes: this.maxLineBytes,
      ...(options.plan === undefined ? {} : { plan: options.plan }),
    };
    this.workers = Array.from({ length: options.threads }, () => {
      const worker = new Worker(WORKER_URL, { workerData: setup });
      worker.on('message', (result: BatchResult) => {
        this.results.set(result.id, result);
        this.wake?.();
      });
      worker.on('error', (error) => {
        this.failure ??= error;
        this.wake?.();
      });
      return worker;
    });
  }

  /** Batches sent and not yet replayed. */
  get pending(): number {
    return this.nextId - this.nextApplied;
  }

  /** Replays finished batches in order, waiting until at most `maxPending` are outstanding. */
  async settle(maxPending: number): Promise<void> {
    for (;;) {
      this.applyReady();
      if (this.failure !== undefined) throw this.failure;
      if (this.pending <= maxPending) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** After end(): sends the last batch, replays everything, and stops the workers. */
  async finish(): Promise<void> {
    try {
      this.dispatch();
      await this.settle(0);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  protected onLine(bytes: Uint8Array, line: number): void {
    if (this.filled + bytes.length > this.batch.length) {
      this.dispatch();
      if (bytes.length > this.batch.length) this.batch = new Uint8Array(bytes.length);
    }
    this.batch.set(bytes, this.filled);
    this.entries.push(line, this.filled, this.filled + bytes.length);
    this.filled += bytes.length;
    if (this.filled >= this.batchBytes) this.dispatch();
  }

  protected onTooLong(line: number): void {
    this.entries.push(line, -1, -1);
  }

  private dispatch(): void {
    if (this.entries.length === 0) return;
    const id = this.nextId++;
    const request: BatchRequest = {
      id,
      bytes: this.batch.subarray(0, this.filled),
      entries: Float64Array.from(this.entries),
    };
    const worker = this.workers[id % this.workers.length] as Worker;
    worker.postMessage(request, [this.batch.buffer as ArrayBuffer, request.entries.buffer as ArrayBuffer]);
    this.batch = new Uint8Array(this.batchBytes);
    this.filled = 0;
    this.entries = [];
  }

  private applyReady(): void {
    for (;;) {
      const result = this.results.get(this.nextApplied);
      if (result === undefined) return;
      this.results.delete(this.nextApplied);
      this.nextApplied++;
      this.report.replay(result.records);
      const { kept, keptBytes } = result;
      for (let i = 0; i < kept.length; i += 5) {
        this.onKept?.(
          kept[i] as number,
          kept[i + 1] === 1 ? 'test' : 'train',
          kept[i + 2] as number,
          keptBytes.subarray(kept[i + 3], kept[i + 4]),
        );
      }
    }
  }
}
