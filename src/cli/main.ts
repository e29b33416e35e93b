#!/usr/bin/env node
// The `autopilot` command. Each subcommand lives in its own module, loaded on demand so that
// `validate` never pays for the Azure SDKs. The development commands (the local stack, the demo,
// the emulator) live in dev/cli/, which the shipped package does not have: here they only say
// where to run them.
import { ExitCode, processIo, type CliIo } from './args.js';
import { commandLines, findCommand, runCommand, runIfEntryPoint, type CommandEntry } from './dispatch.js';

export type { Command } from './dispatch.js';

const commands: Readonly<Record<string, CommandEntry>> = {
  validate: {
    summary: 'check a chat dataset (JSONL or Parquet) before any GPU is paid for',
    load: async () => (await import('./validate.js')).validate,
  },
  prepare: {
    summary: 'sample and split a chat dataset into train.jsonl and test.jsonl',
    load: async () => (await import('./prepare.js')).prepare,
  },
  plan: {
    summary: 'show the parameters, run id and Azure ML job a dataset would get (offline)',
    load: async () => (await import('./plan.js')).plan,
  },
  upload: {
    summary: 'upload a dataset to incoming/<line>/ (test, overrides, then train) and print its run id',
    load: async () => (await import('./upload.js')).upload,
  },
  runs: {
    summary: 'list, show, watch, start and cancel runs on the running system (HTTP API)',
    load: async () => (await import('./runs.js')).runs,
  },
  lines: {
    summary: 'list, show, wake, park and delete serving lines (HTTP API)',
    load: async () => (await import('./lines.js')).lines,
  },
};

/** The development commands and how to run them from a clone (dev/cli/main.ts). */
const DEV_COMMANDS: Readonly<Record<string, string>> = {
  start: 'npm start',
  demo: 'npm run demo',
  emulator: 'npm run emulator',
};

function usage(): string {
  const dev = Object.entries(DEV_COMMANDS).map(([name, run]) => `${name} (${run})`);
  return (
    `usage: autopilot <command> [options]\n\ncommands:\n${commandLines(commands)}\n\n` +
    `development commands, from a clone of the repository: ${dev.join(', ')}\n`
  );
}

function devCommandError(name: string, run: string): string {
  return (
    `autopilot ${name}: '${name}' is a development command and not part of the installed CLI; ` +
    `run it from a clone of the repository: ${run} (or: npm run build && node dist/dev/cli/main.js ${name})\n`
  );
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  // own keys only: `constructor` or `toString` is not a command
  const command = findCommand(commands, name);
  const devRun = Object.hasOwn(DEV_COMMANDS, name) ? DEV_COMMANDS[name] : undefined;
  if (command === undefined && devRun !== undefined) {
    io.stderr.write(devCommandError(name, devRun));
    return ExitCode.usage;
  }
  if (command === undefined) {
    io.stderr.write(`autopilot: unknown command '${name}'\n${usage()}`);
    return ExitCode.usage;
  }
  return runCommand('autopilot', name, command, rest, io);
}

runIfEntryPoint(import.meta.url, 'autopilot', (argv) => main(argv));
