// `npm run bench -- --stack [--full]`: upload -> job submitted on the local stack (dev/stack.ts:
// Azurite, the Azure ML emulator, the local host running functions/ from dist/, the storage-events
// publisher). Times, from the moment the upload returns until the run view's `submit` step
// succeeded (its endedAt, the run's own clock): the 200-row dataset 20 times (p50), the 63 MB file, and with --full the 1.3 GB one.
// Also prints the validate/prepare/submit step times the run view records, and for each large
// file the storage floor: the same bytes read from the stack's Azurite and written back to it the
// way the run's pass does (8 MiB ranges two ahead, 4 MiB staged blocks with their MD5, four in
// flight), with no parsing at all: what no change to the app can go below on this stack. A
// benchmark: nothing is asserted.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, type RunningStack } from '../../dev/stack.js';
import { computeRunId, unquoteEtag } from '../../src/domain/runId.js';
import type { RunView } from '../../src/domain/runView.js';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/**
 * Every GET /api/runs/{id} costs the host and Azurite (a durable status read, during validate a
 * progress.json read) while they do the work measured; the figure is the run's own clock, so
 * polling less only takes the harness out of the measurement.
 */
const POLL_MS = 500;
/** The floor's reads and writes: the app's own sizes (src/adapters/blobStore.ts). */
const FLOOR_RANGE_BYTES = 8 * 1024 * 1024;
const FLOOR_RANGES_AHEAD = 2;
const FLOOR_BLOCK_BYTES = 4 * 1024 * 1024;
const FLOOR_BLOCKS_IN_FLIGHT = 4;
const TIMEOUT_MS = 300_000;

export interface StackTiming {
  name: string;
  seconds: number;
  steps: Record<string, number>;
  /** CPU seconds each process of the stack spent on this upload (Linux /proc; empty elsewhere). */
  cpu: Record<string, number>;
}

/** CPU seconds so far of this process ('bench': the emulator, the storage-events publisher) and its children. */
function cpuSeconds(): Record<string, number> {
  const own = process.cpuUsage();
  const cpu: Record<string, number> = { 'bench+emulator+publisher': (own.user + own.system) / 1e6 };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return cpu;
  }
  for (const pid of pids) {
    try {
      // fields after the ')' of the command name: state, ppid, ..., utime (12th), stime (13th), in ticks of 1/100 s
      const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      const name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('azurite') ? 'azurite' : 'host';
      cpu[name] = (cpu[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // a process that ended meanwhile
    }
  }
  return cpu;
}

export interface StorageFloor {
  seconds: number;
  /** CPU seconds of the stack's Azurite, and of this process (the reads and writes themselves). */
  azurite: number;
  client: number;
}

export interface StackBench {
  measure(name: string, file: string): Promise<StackTiming & { blobPath: string }>;
  /** The storage work of a pass over `blobPath` (uploaded by measure), without the app. */
  storageFloor(blobPath: string): Promise<StorageFloor>;
  stop(): Promise<void>;
}

export async function startStackBench(): Promise<StackBench> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-stack-bench-'));
  let stack: RunningStack;
  try {
    stack = await startStack({
      appDir: APP_DIR,
      stateDir,
      settings: { JOB_POLL_INTERVAL_SECONDS: '3', JOB_DEADLINE_SECONDS: '600' },
      emulatorConfig: { clock: { jobSeconds: 600, lroSeconds: 1 } },
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    stack.trainingContainer,
  );
  let uploads = 0;

  const view = async (runId: string): Promise<RunView | undefined> => {
    const response = await fetch(`${stack.hostUrl}/api/runs/${runId}`, {
      headers: { 'x-functions-key': stack.functionKey },
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET /api/runs/${runId}: ${response.status}`);
    return (await response.json()) as RunView;
  };

  return {
    async measure(name, file) {
      const blobPath = `incoming/bench-${uploads++}-${name}.jsonl`;
      const uploaded = await container.getBlockBlobClient(blobPath).uploadFile(file, {
        blockSize: 8 * 1024 * 1024,
        concurrency: 4,
      });
      const cpuBefore = cpuSeconds();
      const uploadedAt = Date.now();
      const started = process.hrtime.bigint();
      const { runId } = computeRunId({
        container: stack.trainingContainer,
        path: blobPath,
        etag: unquoteEtag(uploaded.etag ?? ''),
        overrides: {},
      });
      for (;;) {
        const run = await view(runId);
        const submit = run?.steps.find((s) => s.id === 'submit');
        if (submit?.status === 'succeeded' && run !== undefined && submit.endedAt !== undefined) {
          // The run's own record of when submit succeeded (the orchestrator's clock, this machine's),
          // not when this poll saw it: the polls stay infrequent and do not slow the host down.
          const seconds = (Date.parse(submit.endedAt) - uploadedAt) / 1000;
          const steps: Record<string, number> = {};
          for (const s of run.steps) {
            if (s.startedAt !== undefined && s.endedAt !== undefined)
              steps[s.id] = (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000;
          }
          const cpuAfter = cpuSeconds();
          const cpu: Record<string, number> = {};
          for (const [name, after] of Object.entries(cpuAfter)) cpu[name] = after - (cpuBefore[name] ?? 0);
          await fetch(`${stack.hostUrl}/api/runs/${runId}/cancel`, {
            method: 'POST',
            headers: { 'x-functions-key': stack.functionKey },
          });
          return { name, seconds, steps, cpu, blobPath };
        }
        if (run !== undefined && run.status !== 'Running')
          throw new Error(`run ${runId} ended ${run.status}: ${JSON.stringify(run.error)}`);
        if (Number(process.hrtime.bigint() - started) / 1e6 > TIMEOUT_MS)
          throw new Error(`run ${runId} not submitted after ${TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    async storageFloor(blobPath) {
      const source = container.getBlockBlobClient(blobPath);
      const size = (await source.getProperties()).contentLength ?? 0;
      const target = container.getBlockBlobClient(`bench-floor/${uploads++}.jsonl`);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // the measured run's cancel settles first
      const before = cpuSeconds();
      const started = process.hrtime.bigint();
      const ranges: Promise<Buffer>[] = [];
      let next = 0;
      const request = () => {
        const start = next;
        next = Math.min(size, start + FLOOR_RANGE_BYTES);
        ranges.push(source.downloadToBuffer(start, next - start));
      };
      while (next < size && ranges.length < FLOOR_RANGES_AHEAD) request();
      const ids: string[] = [];
      const inFlight = new Set<Promise<unknown>>();
      for (let range = ranges.shift(); range !== undefined; range = ranges.shift()) {
        const bytes = await range;
        if (next < size) request();
        for (let at = 0; at < bytes.length; at += FLOOR_BLOCK_BYTES) {
          while (inFlight.size >= FLOOR_BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
          const body = bytes.subarray(at, Math.min(bytes.length, at + FLOOR_BLOCK_BYTES));
          const id = Buffer.from(String(ids.length).padStart(8, '0')).toString('base64');
          ids.push(id);
          const staged: Promise<unknown> = target
            .stageBlock(id, body, body.length, {
              transactionalContentMD5: createHash('md5').update(body).digest(),
            })
            .finally(() => inFlight.delete(staged));
          inFlight.add(staged);
        }
      }
      await Promise.all(inFlight);
      await target.commitBlockList(ids);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const after = cpuSeconds();
      const spent = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
      await target.delete();
      return { seconds, azurite: spent('azurite'), client: spent('bench+emulator+publisher') };
    },
    async stop() {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
