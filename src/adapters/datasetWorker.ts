// A worker thread of the parallel JSONL scan (src/adapters/parallelJsonl.ts): checks the lines of
// each batch it is sent and posts back, in order, what they add to the report (a RowLog) and,
// when preparing, the rows the sample keeps. Everything that depends on earlier rows stays with
// the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { LineChecker, reportTooLong } from '../domain/dataset/jsonl.js';
import { RowLog } from '../domain/dataset/report.js';
import { destination, keyFor, uniform } from '../domain/dataset/sampling.js';
import { preparedLine } from './preparedLine.js';
import { nodeByteReader } from './byteReader.js';
import type { BatchRequest, BatchResult, WorkerSetup } from './parallelJsonl.js';

// Loaded outside a worker (e.g. by a tool that imports every module) it has no setup: it does
// nothing rather than fail at import.
const { maxLineBytes, plan } = (workerData as WorkerSetup | null) ?? { maxLineBytes: 0, plan: undefined };
const log = new RowLog('jsonl');
let kept: number[] = [];
let lines: Buffer[] = [];
let keptBytes = 0;

const checker = new LineChecker(
  log,
  nodeByteReader,
  plan === undefined
    ? undefined
    : (line, valid, promptId, row, encoding, rowBytes) => {
        if (!valid) return;
        const key = keyFor(promptId, line);
        const where = destination(key, plan);
        if (where === 'skip') return;
        const bytes = preparedLine(row(), encoding, rowBytes);
        kept.push(
          line,
          where === 'test' ? 1 : 0,
          uniform(plan.seed, 'test', key),
          keptBytes,
          keptBytes + bytes.length,
        );
        lines.push(bytes);
        keptBytes += bytes.length;
      },
);

parentPort?.on('message', ({ id, bytes, entries }: BatchRequest) => {
  for (let i = 0; i < entries.length; i += 3) {
    const line = entries[i] as number;
    const start = entries[i + 1] as number;
    if (start < 0) reportTooLong(log, line, maxLineBytes);
    else checker.check(bytes.subarray(start, entries[i + 2]), line);
  }
  const records = log.take();
  // Its own memory (not Buffer's shared pool), so it can be moved to the main thread.
  const all = new Uint8Array(keptBytes);
  let offset = 0;
  for (const bytes of lines) {
    all.set(bytes, offset);
    offset += bytes.length;
  }
  const result: BatchResult = { id, records, kept: Float64Array.from(kept), keptBytes: all };
  kept = [];
  lines = [];
  keptBytes = 0;
  const moved = [records.numbers.buffer, result.kept.buffer, all.buffer] as ArrayBuffer[];
  parentPort?.postMessage(result, moved);
});
