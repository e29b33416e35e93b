// `autopilot validate <path|-> [--json] [--max-errors N] [--max-seq-length N] [--max-line-bytes N] [--threads N]`
import { DatasetInputError, fileInput, streamInput, validateDataset } from '../adapters/dataset.js';
import { DEFAULT_MAX_ERRORS, DEFAULT_MAX_LINE_BYTES } from '../domain/dataset/codes.js';
import { isError } from '../domain/dataset/report.js';
import type {
  DatasetInput,
  Distribution,
  ValidateOptions,
  ValidationReport,
} from '../domain/dataset/types.js';
import { ExitCode, UsageError, integerOption, parseCommandLine, type CliIo } from './args.js';

const USAGE =
  'usage: autopilot validate <path|-> [--json] [--max-errors N] [--max-seq-length N] [--max-line-bytes N] [--threads N]';
/** Inputs smaller than this finish too fast to need a progress line. */
const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 250;

export const validationOptions = {
  'max-errors': { type: 'string' },
  'max-seq-length': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  threads: { type: 'string' },
} as const;

export async function validate(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    ...validationOptions,
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? `expected a file path or '-' for stdin\n${USAGE}`
        : `expected one file, got ${positionals.length}\n${USAGE}`,
    );
  const options = validateOptionsFrom(values);
  const target = positionals[0] ?? '-';
  return withInput(target, io, async (input, size) => {
    const progress = progressReporter(io, input.name, size);
    const report = await validateDataset(input, {
      ...options,
      ...(progress === undefined ? {} : { onProgress: progress.update }),
    });
    progress?.done();
    if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stdout.write(formatReport(input.name, report));
    return report.valid ? ExitCode.ok : ExitCode.invalidInput;
  });
}

export function validateOptionsFrom(values: {
  'max-errors'?: string;
  'max-seq-length'?: string;
  'max-line-bytes'?: string;
  threads?: string;
}): ValidateOptions {
  const options: ValidateOptions = {
    maxErrors: integerOption('max-errors', values['max-errors'], DEFAULT_MAX_ERRORS),
    maxLineBytes: integerOption('max-line-bytes', values['max-line-bytes'], DEFAULT_MAX_LINE_BYTES, 1),
  };
  if (values['max-seq-length'] !== undefined)
    options.maxSeqLength = integerOption('max-seq-length', values['max-seq-length'], 0, 1);
  // Worker threads for JSONL (0 = none); unset = decided by input size and core count.
  if (values.threads !== undefined) options.threads = integerOption('threads', values.threads, 0, 0, 16);
  return options;
}

/** Opens a path or '-' (stdin), runs `use`, and maps unreadable inputs to exit 2. */
export async function withInput(
  target: string,
  io: CliIo,
  use: (input: DatasetInput, size: number | undefined) => Promise<number>,
): Promise<number> {
  let dispose = () => Promise.resolve();
  try {
    let input: DatasetInput;
    if (target === '-') {
      const stdin = await streamInput('stdin', io.stdin as AsyncIterable<Uint8Array>);
      dispose = () => stdin.dispose();
      input = stdin;
    } else {
      input = await fileInput(target);
    }
    return await use(input, input.random?.byteLength);
  } catch (error) {
    if (error instanceof DatasetInputError) {
      io.stderr.write(`autopilot: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  } finally {
    await dispose();
  }
}

/** A one-line progress indicator on stderr, only for large inputs on a terminal. */
export function progressReporter(
  io: CliIo,
  name: string,
  size: number | undefined,
): { update: (bytes: number) => void; done: () => void } | undefined {
  if (io.stderr.isTTY !== true || (size !== undefined && size < PROGRESS_MIN_BYTES)) return undefined;
  let last = 0;
  let shown = false;
  return {
    update(bytes) {
      if (size === undefined && bytes < PROGRESS_MIN_BYTES) return; // stdin: only once it proves large
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      shown = true;
      const share = size === undefined || size === 0 ? '' : ` (${Math.floor((bytes / size) * 100)}%)`;
      io.stderr.write(`\r${name}: ${formatBytes(bytes)} read${share}   `);
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

/** The human-readable report. */
export function formatReport(name: string, report: ValidationReport): string {
  const unit = report.format === 'jsonl' ? 'lines' : 'rows';
  const lines = [
    `${name}: ${report.valid ? 'VALID' : 'INVALID'} (${report.format}, ${report.rows} rows, ${report.validRows} valid, ${formatBytes(report.stats.bytes)})`,
  ];
  const section = (title: string, findings: ValidationReport['errors'], errors: boolean) => {
    const total = Object.entries(report.counts)
      .filter(([code]) => isError(code) === errors)
      .reduce((sum, [, n]) => sum + n, 0);
    if (total === 0) return;
    lines.push(
      '',
      `${title} (${total}${findings.length < total ? `, first ${findings.length} shown` : ''}):`,
    );
    for (const f of findings) lines.push(`  ${f.code.padEnd(30)} ${f.message}`);
  };
  section('errors', report.errors, true);
  section('warnings', report.warnings, false);
  const counts = Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b));
  if (counts.length > 0) {
    lines.push('', 'counts:');
    for (const [code, n] of counts) lines.push(`  ${code.padEnd(30)} ${n}`);
  }
  if (report.validRows > 0) {
    const { turns, characters, estimatedTokens, roles } = report.stats;
    lines.push(
      '',
      `stats over ${report.validRows} valid conversation${report.validRows === 1 ? '' : 's'} (p50 / p95 / max):`,
      `  turns               ${dist(turns)}`,
      `  characters          ${dist(characters)}`,
      `  estimated tokens    ${dist(estimatedTokens)}   (characters / 4, an estimate)`,
      `  messages by role    system ${roles.system}, user ${roles.user}, assistant ${roles.assistant}`,
    );
  }
  if (report.stats.blankLines > 0) lines.push(`  blank ${unit} skipped: ${report.stats.blankLines}`);
  return `${lines.join('\n')}\n`;
}

function dist(d: Distribution): string {
  return `${d.p50} / ${d.p95} / ${d.max}`;
}

/** "812 bytes", "12.3 kB", "63.2 MB", "1.31 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 10_000) return `${bytes} bytes`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
