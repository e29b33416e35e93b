// `autopilot prepare --input <file> [--test-input <file>] --out <dir> [--sample-percent 5] [--test-percent 5] [--seed 42]`
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetInputError, fileInput, fileSink, validateAndPrepareDataset } from '../adapters/dataset.js';
import type { PrepareResult } from '../domain/dataset/types.js';
import { ExitCode, UsageError, integerOption, parseCommandLine, type CliIo } from './args.js';
import { formatReport, progressReporter, validateOptionsFrom, validationOptions } from './validate.js';

const USAGE =
  'usage: autopilot prepare --input <file> [--test-input <file>] --out <dir> [--sample-percent 5] [--test-percent 5] [--seed 42] [--json]';
export const PREPARE_DEFAULTS = { samplePercent: 5, testPercent: 5, seed: 42 } as const;
export const TRAIN_FILE = 'train.jsonl';
export const TEST_FILE = 'test.jsonl';

export async function prepare(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    args,
    {
      input: { type: 'string' },
      'test-input': { type: 'string' },
      out: { type: 'string' },
      'sample-percent': { type: 'string' },
      'test-percent': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...validationOptions,
    },
    false,
  );
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  void positionals;
  if (values.input === undefined) throw new UsageError(`--input is required\n${USAGE}`);
  if (values.out === undefined) throw new UsageError(`--out is required\n${USAGE}`);
  const samplePercent = percentOption(
    'sample-percent',
    values['sample-percent'],
    PREPARE_DEFAULTS.samplePercent,
    false,
  );
  const testPercent = percentOption(
    'test-percent',
    values['test-percent'],
    PREPARE_DEFAULTS.testPercent,
    true,
  );
  const seed = integerOption('seed', values.seed, PREPARE_DEFAULTS.seed);
  const validate = validateOptionsFrom(values);

  let result: PrepareResult;
  const trainPath = join(values.out, TRAIN_FILE);
  const testPath = join(values.out, TEST_FILE);
  try {
    const train = await fileInput(values.input);
    const test = values['test-input'] === undefined ? undefined : await fileInput(values['test-input']);
    await mkdir(values.out, { recursive: true }).catch((error: unknown) => {
      throw new DatasetInputError(`cannot create '${values.out}': ${(error as Error).message}`);
    });
    const sinks = { train: await fileSink(trainPath), test: await fileSink(testPath) };
    const size = (train.random?.byteLength ?? 0) + (test?.random?.byteLength ?? 0);
    const progress = progressReporter(io, values.input, size);
    try {
      // Committed (renamed into place) only when every input is valid; discarded otherwise.
      result = await validateAndPrepareDataset(
        { train, ...(test === undefined ? {} : { test }) },
        {
          samplePercent,
          testPercent,
          seed,
          validate,
          ...(progress === undefined
            ? {}
            : { onProgress: ({ bytes }) => progress.update(bytes), progressIntervalInMs: 0 }),
        },
        sinks,
      );
    } finally {
      progress?.done();
      // No-ops after a commit; otherwise nothing half-written is left behind.
      await sinks.train.discard();
      await sinks.test.discard();
    }
  } catch (error) {
    if (error instanceof DatasetInputError) {
      io.stderr.write(`autopilot: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }

  const valid = result.report.valid && (result.testReport?.valid ?? true);
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({
        valid,
        train: { path: trainPath, rows: result.trainRows },
        test: { path: testPath, rows: result.testRows },
        report: result.report,
        ...(result.testReport === undefined ? {} : { testReport: result.testReport }),
      })}\n`,
    );
  } else if (valid) {
    io.stdout.write(
      `wrote ${result.trainRows} rows to ${trainPath} and ${result.testRows} rows to ${testPath}` +
        ` (${samplePercent}% sample of ${result.report.validRows + (result.testReport?.validRows ?? 0)} valid rows, seed ${seed})\n`,
    );
    const warnings = result.report.warnings.length + (result.testReport?.warnings.length ?? 0);
    if (warnings > 0)
      io.stdout.write(`${warnings} warnings; run 'autopilot validate' on the input to see them\n`);
  } else {
    io.stdout.write(
      `nothing written: the input is not valid\n\n${formatReport(values.input, result.report)}`,
    );
    if (result.testReport !== undefined)
      io.stdout.write(`\n${formatReport(values['test-input'] ?? 'test', result.testReport)}`);
  }
  return valid ? ExitCode.ok : ExitCode.invalidInput;
}

/** A percentage option: a decimal number in (0, 100], or [0, 100) when `zeroAllowed`. */
function percentOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  zeroAllowed: boolean,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const ok =
    /^\d+(\.\d+)?$/.test(raw) && (zeroAllowed ? value >= 0 && value < 100 : value > 0 && value <= 100);
  if (!ok)
    throw new UsageError(
      `--${name} must be a number ${zeroAllowed ? 'from 0 to below 100' : 'above 0 and at most 100'}, got '${raw}'`,
    );
  return value;
}
