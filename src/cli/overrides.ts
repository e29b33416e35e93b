// An overrides file (finetune.json) as `upload` and `runs start` read it: checked on this machine
// with the app's own rules (src/domain/fineTuneParameters.ts validateOverrides) before anything is
// uploaded or started, so a typo is exit 1 with the message, not a run that fails at validate.
import { readFile } from 'node:fs/promises';
import type { DomainProblem } from '../domain/errors.js';
import { FineTuneCode, validateOverrides } from '../domain/fineTuneParameters.js';
import { ExitCode, UsageError, type CliIo } from './args.js';

export interface OverridesFile {
  /** The file's bytes, uploaded as they are so the app parses exactly what was checked. */
  readonly bytes: Buffer;
  /** As parsed: what names the run (src/runs/startRun.ts; `null` counts as none). */
  readonly overrides: Readonly<Record<string, unknown>>;
}

export async function readOverridesFile(path: string): Promise<OverridesFile | { problem: DomainProblem }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return {
      problem: {
        code: FineTuneCode.overridesNotJson,
        message: `${path}: not valid JSON (${(error as Error).message})`,
      },
    };
  }
  const checked = validateOverrides(value);
  if (!checked.ok) return { problem: { ...checked.error, message: `${path}: ${checked.error.message}` } };
  return { bytes, overrides: (value ?? {}) as Record<string, unknown> };
}

/** A problem with the input: `{error}` on stdout with --json, else its message on stderr; exit 1. */
export function reportProblem(io: CliIo, program: string, json: boolean, problem: DomainProblem): number {
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: problem })}\n`);
  } else {
    // The message lists every problem already (validateOverrides joins them); details repeat it.
    io.stderr.write(`${program}: ${problem.code}: ${problem.message}\n`);
  }
  return ExitCode.invalidInput;
}
