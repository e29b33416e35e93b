// `npm run chaos [-- --only <substring>]`: the long part of the reliability suite (issue 14), against
// the local stack (dev/stack.ts), each case on a fresh state folder: duplicates x10, 20 datasets at
// once, 429 and 500 storms on every operation, job events dropped/duplicated/reordered, kill -9 of
// the host at every activity boundary of a run, Azurite restarted mid-run, and a secrets scan of
// every log and state file. Prints one table of figures; exits 1 on any miss. Needs `npm run build`
// (the script does it). Not part of `npm test`: it takes minutes.
import { availableParallelism } from 'node:os';
import {
  azuriteRestart,
  COPIES,
  DATASETS_AT_ONCE,
  DUPLICATE_RACES,
  duplicates,
  jobEvents,
  killAtEveryBoundary,
  manyAtOnce,
  storm,
} from './cases.js';
import {
  newRow,
  onFreshStack,
  percentile,
  type CaseContext,
  type Row,
  type StackCaseOptions,
} from './harness.js';

interface ChaosCase {
  readonly name: string;
  readonly options: StackCaseOptions;
  readonly body: (ctx: CaseContext) => Promise<void>;
}

const CASES: readonly ChaosCase[] = [
  {
    name: `duplicates x${COPIES} (BlobCreated + POST)`,
    options: { expectedRuns: DUPLICATE_RACES },
    body: duplicates,
  },
  {
    name: `${DATASETS_AT_ONCE} datasets at once`,
    options: { expectedRuns: DATASETS_AT_ONCE },
    body: manyAtOnce,
  },
  { name: '429 storm, every operation', options: { expectedRuns: 1 }, body: storm(429, 3) },
  { name: '500 storm, every operation', options: { expectedRuns: 1 }, body: storm(500, 2) },
  { name: 'job events drop/dup/reorder', options: { expectedRuns: 3 }, body: jobEvents },
  { name: 'kill -9 at every activity', options: { expectedRuns: 1 }, body: killAtEveryBoundary },
  { name: 'Azurite restarted mid-run', options: { expectedRuns: 2, persistent: true }, body: azuriteRestart },
];

const only = /--only[= ](\S+)/.exec(process.argv.slice(2).join(' '))?.[1];
const started = Date.now();
const rows: Row[] = [];
const secrets = newRow('secrets scan (logs, state, blobs)');
secrets.scanned = { sources: 0, lookups: 0 };

for (const chaosCase of CASES) {
  if (only !== undefined && !chaosCase.name.includes(only)) continue;
  const row = newRow(chaosCase.name);
  rows.push(row);
  const caseStarted = Date.now();
  process.stderr.write(`chaos: ${chaosCase.name}...\n`);
  await onFreshStack(row, chaosCase.options, chaosCase.body, (scan) => {
    secrets.scanned!.sources += scan.sources;
    secrets.scanned!.lookups += scan.lookups;
    secrets.cases += scan.sources;
    const dirty = new Set(scan.findings.map((f) => f.where)).size;
    secrets.passed += scan.sources - dirty;
    secrets.secretsFound += scan.findings.length;
  });
  process.stderr.write(
    `chaos: ${chaosCase.name}: ${row.passed}/${row.cases} in ${Math.round((Date.now() - caseStarted) / 1000)} s\n`,
  );
}
rows.push(secrets);

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1));
const header = [
  'case',
  'cases',
  'passed',
  'runs started',
  'duplicates',
  'leaked endpoints',
  'secrets found',
  'p50 s',
  'p95 s',
  'latency of',
];
const table = rows.map((r) => [
  r.name,
  String(r.cases),
  String(r.passed),
  r === secrets ? '-' : String(r.runsStarted),
  r === secrets ? '-' : String(r.duplicates),
  r === secrets ? '-' : String(r.leakedEndpoints),
  String(r.secretsFound),
  fmt(percentile(r.latency?.seconds ?? [], 50)),
  fmt(percentile(r.latency?.seconds ?? [], 95)),
  r === secrets
    ? `${secrets.scanned?.lookups ?? 0} lookups in ${secrets.scanned?.sources ?? 0} sources`
    : (r.latency?.what ?? '-'),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] ?? '').length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
const out: string[] = [
  `npm run chaos: ${availableParallelism()} cores, node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s in all`,
  line(header),
  `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
  ...table.map(line),
];
const misses = rows.flatMap((r) => r.misses);
const failed = rows.some(
  (r) =>
    r.passed < r.cases || r.cases === 0 || r.duplicates > 0 || r.leakedEndpoints > 0 || r.secretsFound > 0,
);
for (const r of rows) for (const note of r.notes) out.push(`note: ${note}`);
for (const miss of misses) out.push(`MISS: ${miss}`);
out.push(failed || misses.length > 0 ? 'chaos: FAILED' : 'chaos: all held');
process.stdout.write(`${out.join('\n')}\n`);
if (failed || misses.length > 0) process.exitCode = 1;
