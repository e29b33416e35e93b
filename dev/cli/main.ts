#!/usr/bin/env node
// The development commands, run from a clone (the shipped `autopilot` CLI has no dev/):
//   node dist/dev/cli/main.js start|demo|emulator [options]   (npm start, npm run demo, npm run emulator)
// Each command is loaded on demand, so `emulator` never loads Azurite or the local host.
import { ExitCode, processIo, type CliIo } from '../../src/cli/args.js';
import {
  commandLines,
  findCommand,
  runCommand,
  runIfEntryPoint,
  type CommandEntry,
} from '../../src/cli/dispatch.js';

export const DEV_ENTRY = 'node dist/dev/cli/main.js';

const commands: Readonly<Record<string, CommandEntry>> = {
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
  return `usage: ${DEV_ENTRY} <command> [options]\n\ndevelopment commands:\n${commandLines(commands)}\n`;
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = findCommand(commands, name);
  if (command === undefined) {
    io.stderr.write(`${DEV_ENTRY}: unknown command '${name}'\n${usage()}`);
    return ExitCode.usage;
  }
  return runCommand(DEV_ENTRY, name, command, rest, io);
}

runIfEntryPoint(import.meta.url, DEV_ENTRY, (argv) => main(argv));
