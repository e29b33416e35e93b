#!/usr/bin/env node
// The development commands, run from a clone (the shipped `autopilot` CLI has no dev/):
//   node dist/dev/cli/main.js start|demo|emulator [options]   (npm start, npm run demo, npm run emulator)
// Each command is loaded on demand, so `emulator` never loads Azurite or the local host.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ExitCode, UsageError, processIo, type CliIo } from '../../src/cli/args.js';
import type { Command } from '../../src/cli/main.js';

export const DEV_ENTRY = 'node dist/dev/cli/main.js';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: 'run the local stack: Azurite, the Azure ML emulator, the Functions host (npm start)',
    load: async () => (await import('./start.js')).start,
  },
  demo: {
    summary: 'the whole flow on a throw-away local stack, end to end (npm run demo)',
    load: async () => (await import('./demo.js')).demo,
  },
  emulator: {
    summary: 'run the Azure ML emulator (local HTTPS ARM) alone (npm run emulator)',
    load: async () => (await import('./emulator.js')).emulator,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: ${DEV_ENTRY} <command> [options]\n\ndevelopment commands:\n${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr.write(`${DEV_ENTRY}: unknown command '${name}'\n${usage()}`);
    return ExitCode.usage;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${DEV_ENTRY} ${name}: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
}

// Run only when executed, not when imported by tests.
const isEntryPoint =
  process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
if (isEntryPoint) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${DEV_ENTRY}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = ExitCode.usage;
    },
  );
}
