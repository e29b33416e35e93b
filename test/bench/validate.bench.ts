// `npm run bench [-- --full] [-- --rows N] [-- --keep]`: the validator against the readline baseline on a
// deterministic synthetic ultrachat-shaped file (10k rows, about 65 MB; --full: 208k rows, about
// 1.3 GB). Prints throughput, the ratio and each process's peak RSS. Targets, reported not asserted:
// ratio >= 1.0 on the small file; validator peak RSS < 150 MB on the full one.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../src/cli/main.js');
const baseline = join(here, 'baseline.js');
const peakRss = join(here, 'peakRss.js');

const SMALL_ROWS = 10_000;
const FULL_ROWS = 208_000;
const RSS_TARGET_MB = 150;

const WORDS = (
  'the a model data training loss token gradient learning rate batch epoch layer attention ' +
  'transformer fine-tune prompt answer question explain why how because example result value ' +
  'function return string number array object azure compute cluster endpoint deploy résumé café ' +
  'naïve 東京 données über straße'
).split(' ');

/** xorshift32: the same file on every machine and run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function text(next: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(next() * WORDS.length)] ?? 'x');
  return out.join(' ') + (next() < 0.2 ? '\n\n"quoted" \\ end.' : '.');
}

async function writeDataset(path: string, rows: number): Promise<void> {
  const next = random(42);
  const out = createWriteStream(path);
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const turns = 2 * (1 + Math.floor(next() * 4)); // 2..8 messages, like ultrachat
    const messages = [];
    for (let t = 0; t < turns; t++) {
      const words = t % 2 === 0 ? 24 + Math.floor(next() * 90) : 70 + Math.floor(next() * 355);
      messages.push({ content: text(next, words), role: t % 2 === 0 ? 'user' : 'assistant' });
    }
    const promptId = createHash('sha256').update(String(i)).digest('hex');
    batch.push(JSON.stringify({ prompt: messages[0]?.content, prompt_id: promptId, messages }));
    if (batch.length === 1000 || i === rows - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = [];
    }
  }
  await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())));
}

interface RunResult {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

function run(args: string[]): Promise<RunResult> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', peakRss, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /BENCH_PEAK_RSS_KB (\d+)/.exec(stderr);
      if (rss === null) return fail(new Error(`no peak RSS from ${args.join(' ')}: ${stderr}`));
      done({ seconds, peakRssMb: Number(rss[1]) / 1024, stdout });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const full = argv.includes('--full');
  const rowsFlag = argv.indexOf('--rows');
  const rows = rowsFlag >= 0 ? Number(argv[rowsFlag + 1]) : full ? FULL_ROWS : SMALL_ROWS;
  const repeats = full ? 1 : 3;
  const keep = argv.includes('--keep'); // leave the file for profiling
  const dir = await mkdtemp(join(tmpdir(), 'autopilot-bench-'));
  try {
    const file = join(dir, 'train.jsonl');
    process.stdout.write(`writing ${rows} synthetic rows to ${file}...\n`);
    await writeDataset(file, rows);
    const megabytes = (await stat(file)).size / 1e6;
    process.stdout.write(`${megabytes.toFixed(1)} MB; best of ${repeats} run(s) each, alternating\n`);

    let best = {
      validator: undefined as RunResult | undefined,
      baseline: undefined as RunResult | undefined,
    };
    for (let i = 0; i < repeats; i++) {
      const v = await run([cli, 'validate', '--json', file]);
      const report = JSON.parse(v.stdout) as { valid: boolean; rows: number };
      if (!report.valid || report.rows !== rows)
        throw new Error(`validator disagrees: ${v.stdout.slice(0, 500)}`);
      const b = await run([baseline, file]);
      if ((JSON.parse(b.stdout) as { rows: number }).rows !== rows)
        throw new Error(`baseline disagrees: ${b.stdout}`);
      if (best.validator === undefined || v.seconds < best.validator.seconds)
        best = { ...best, validator: v };
      if (best.baseline === undefined || b.seconds < best.baseline.seconds) best = { ...best, baseline: b };
    }
    const v = best.validator;
    const b = best.baseline;
    if (v === undefined || b === undefined) throw new Error('no runs');
    const ratio = b.seconds / v.seconds;
    const line = (name: string, r: RunResult) =>
      `${name.padEnd(28)} ${(megabytes / r.seconds).toFixed(1).padStart(7)} MB/s  ${r.seconds.toFixed(2).padStart(6)} s  peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MB\n`;
    process.stdout.write(line('autopilot validate --json', v));
    process.stdout.write(line('baseline (readline + parse)', b));
    process.stdout.write(
      `ratio (validator / baseline throughput): ${ratio.toFixed(2)}  target >= 1.0: ${ratio >= 1 ? 'met' : 'NOT met'}\n`,
    );
    if (full) {
      process.stdout.write(
        `validator peak RSS ${v.peakRssMb.toFixed(0)} MB, target < ${RSS_TARGET_MB} MB: ${v.peakRssMb < RSS_TARGET_MB ? 'met' : 'NOT met'}\n`,
      );
    }
  } finally {
    if (keep) process.stdout.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
