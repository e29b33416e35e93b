// What the shipped `autopilot` CLI (src/cli/main.ts) and the development entry (dev/cli/main.ts)
// share: a table of commands loaded on demand, running one with a usage error reported as exit 2,
// and running main only when the module is executed, not when a test imports it.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ExitCode, UsageError, type CliIo } from './args.js';

export type Command = (args: readonly string[], io: CliIo) => Promise<number>;

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** The command called `name`: own keys only, so `constructor` or `toString` is no command. */
export function findCommand(
  table: Readonly<Record<string, CommandEntry>>,
  name: string,
): CommandEntry | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** The usage lines of a command table, one per command. */
export function commandLines(table: Readonly<Record<string, CommandEntry>>): string {
  return Object.entries(table)
    .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
    .join('\n');
}

/** Loads and runs a command; a UsageError is `<program> <name>: <message>` and exit 2. */
export async function runCommand(
  program: string,
  name: string,
  command: CommandEntry,
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  try {
    return await (
      await command.load()
    )(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${program} ${name}: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
}

/**
 * Runs `main` with the process's arguments when the module at `moduleUrl` is the one executed
 * (directly or through the npm bin link), not when it is imported.
 */
export function runIfEntryPoint(
  moduleUrl: string,
  program: string,
  main: (argv: readonly string[]) => Promise<number>,
): void {
  const executed = process.argv[1];
  if (executed === undefined || pathToFileURL(realpathSync(executed)).href !== moduleUrl) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${program}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = ExitCode.usage;
    },
  );
}
