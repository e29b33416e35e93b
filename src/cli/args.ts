import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes shared by every subcommand (docs/contracts.md "CLI"). */
export const ExitCode = { ok: 0, invalidInput: 1, usage: 2 } as const;

/** A command line that cannot be run as written; exits 2 with the message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** node:util parseArgs, with its errors turned into UsageError. */
export function parseCommandLine<T extends ParseArgsConfig['options']>(
  args: readonly string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A whole number option within bounds, or a UsageError naming the option. */
export function integerOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return Number(raw);
}
