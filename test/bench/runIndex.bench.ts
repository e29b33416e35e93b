// `npm run bench -- --runs [--count N]`: GET /api/runs?top=20 at N runs (default 5,000; issue 14's
// target: p50 < 50 ms) through the real HTTP API of the local host (dev/stack.ts: Azurite, the
// Azure ML emulator, the local Functions host running functions/ from dist/). The rows are written
// into the stack's Azurite table with the app's own adapter (src/adapters/runIndex.ts), as the
// runs would; then each listing is timed from the request to the parsed body, sequentially, after
// a warm-up. Also times the same query through the adapter alone (no host), to separate the two.
// A benchmark: nothing is asserted. Azurite answers a table query by scanning and sorting every
// matching entity in JavaScript (LokiTableMetadataStore.queryTableEntities in node_modules/azurite),
// so its cost grows with the table; Table Storage seeks its (PartitionKey, RowKey) index.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../dev/stack.js';
import { createRunIndexClient, TableRunIndex } from '../../src/adapters/runIndex.js';
import { RUN_STATUSES, type RunSummary } from '../../src/domain/runIndex.js';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TARGET_P50_MS = 50;
const WARMUP = 20;
const SAMPLES = 200;
const WRITERS = 16;
const LINES = 50;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function time(samples: number, once: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await once();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await once();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

/** Run n of the bench: a start one second after the previous, a status and line spread over all. */
function summaryOf(n: number): RunSummary {
  const status = RUN_STATUSES[n % RUN_STATUSES.length] ?? 'Running';
  return {
    runId: `ft-${n.toString(16).padStart(20, '0')}`,
    line: `line-${n % LINES}`,
    dataset: { container: 'training-data', path: `incoming/line-${n % LINES}/train.jsonl`, etag: `0x${n}` },
    status,
    step: status === 'Running' ? 'train' : 'smokeTest',
    startedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    ...(status === 'Running'
      ? {}
      : { endedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000 + 600_000).toISOString() }),
    ...(status === 'Succeeded' ? { model: `Phi-4-ft:${n}` } : {}),
  };
}

export async function runIndexBench(argv: readonly string[]): Promise<void> {
  const countFlag = argv.indexOf('--count');
  const count = countFlag >= 0 ? Number(argv[countFlag + 1]) : 5000;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-runs-bench-'));
  process.stdout.write('starting the local stack...\n');
  const stack = await startStack({ appDir: APP_DIR, stateDir });
  try {
    const table = stack.settings.RUN_INDEX_TABLE ?? 'runindex';
    const index = new TableRunIndex(() =>
      createRunIndexClient(
        { connectionString: stack.storageConnectionString, trainingContainer: 'x' },
        table,
      ),
    );
    process.stdout.write(`writing ${count} runs into Azurite's table '${table}' (${WRITERS} writers)...\n`);
    const writeStarted = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let n = next++; n < count; n = next++) await index.put(summaryOf(n));
      }),
    );
    const writeSeconds = (Date.now() - writeStarted) / 1000;

    const get = async (query: string): Promise<void> => {
      const response = await fetch(`${stack.hostUrl}/api/runs?${query}`, {
        headers: { 'x-functions-key': stack.functionKey },
      });
      const body = (await response.json()) as { runs?: unknown[] };
      if (response.status !== 200 || body.runs?.length !== 20) {
        throw new Error(`GET /api/runs?${query}: ${response.status}, ${body.runs?.length} runs`);
      }
    };
    // A page deep in the list: the token of page 101 (runs 2,001-2,020), followed through the API.
    let token = '';
    for (let page = 0; page < 100; page++) {
      const response = await fetch(
        `${stack.hostUrl}/api/runs?top=20${token === '' ? '' : `&continuationToken=${token}`}`,
        { headers: { 'x-functions-key': stack.functionKey } },
      );
      token = ((await response.json()) as { continuationToken?: string }).continuationToken ?? '';
    }
    const cases: [string, string][] = [
      ['GET /api/runs?top=20', 'top=20'],
      ['GET /api/runs?top=20&status=Failed', 'top=20&status=Failed'],
      ['GET /api/runs?top=20&line=line-7', 'top=20&line=line-7'],
      ...(token === ''
        ? []
        : [
            ['GET /api/runs?top=20&continuationToken=<p. 101>', `top=20&continuationToken=${token}`] as [
              string,
              string,
            ],
          ]),
    ];
    const rows: string[] = [];
    let headline = { p50: NaN, p95: NaN };
    for (const [name, query] of cases) {
      const t = await time(SAMPLES, () => get(query));
      if (query === 'top=20') headline = t;
      rows.push(
        `${name.padEnd(44)} p50 ${t.p50.toFixed(1).padStart(6)} ms   p95 ${t.p95.toFixed(1).padStart(6)} ms`,
      );
    }
    const direct = await time(SAMPLES, async () => {
      const page = await index.list({ top: 20 });
      if (page.runs.length !== 20) throw new Error(`adapter list: ${page.runs.length} runs`);
    });
    rows.push(
      `${'adapter list({top: 20}) alone (no host)'.padEnd(44)} p50 ${direct.p50.toFixed(1).padStart(6)} ms   p95 ${direct.p95.toFixed(1).padStart(6)} ms`,
    );
    const [load1] = loadavg();
    process.stdout.write(
      `\n${availableParallelism()} cores (os.availableParallelism), node ${process.version}, load average ${load1?.toFixed(1)} at the end; ${count} runs in the index (written in ${writeSeconds.toFixed(1)} s), ${SAMPLES} sequential requests per row after ${WARMUP} warm-up, through the local host's HTTP API with the function key\n`,
    );
    for (const row of rows) process.stdout.write(`${row}\n`);
    process.stdout.write('\ntargets:\n');
    process.stdout.write(
      `  ${headline.p50 < TARGET_P50_MS ? 'met    ' : 'NOT met'}  GET /api/runs?top=20 p50 < ${TARGET_P50_MS} ms at ${count} runs: ${headline.p50.toFixed(1)} ms\n`,
    );
  } finally {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
