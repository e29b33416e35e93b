import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { commandLines, findCommand, runCommand, type CommandEntry } from '../../src/cli/dispatch.js';
import { captureIo } from './io.js';

const table: Record<string, CommandEntry> = {
  hello: {
    summary: 'say hello',
    load: () =>
      Promise.resolve((args, io) => (io.stdout.write(`hi ${args.join(' ')}\n`), Promise.resolve(0))),
  },
  strict: {
    summary: 'refuse its arguments',
    load: () =>
      Promise.resolve(() => {
        throw new UsageError('--flag takes a number');
      }),
  },
};

describe('findCommand', () => {
  it('finds own commands only: constructor or toString is no command', () => {
    expect(findCommand(table, 'hello')).toBe(table.hello);
    expect(findCommand(table, 'constructor')).toBeUndefined();
    expect(findCommand(table, 'toString')).toBeUndefined();
  });
});

describe('commandLines', () => {
  it('lists each command with its summary, names padded to 10', () => {
    expect(commandLines(table)).toBe('  hello      say hello\n  strict     refuse its arguments');
  });
});

describe('runCommand', () => {
  it('runs the command with its arguments and answers its exit code', async () => {
    const { io, out } = captureIo();
    expect(await runCommand('prog', 'hello', table.hello!, ['a', 'b'], io)).toBe(0);
    expect(out.stdout).toBe('hi a b\n');
  });

  it('turns a UsageError into exit 2 and one line naming the program and the command', async () => {
    const { io, out } = captureIo();
    expect(await runCommand('prog', 'strict', table.strict!, [], io)).toBe(2);
    expect(out.stderr).toBe('prog strict: --flag takes a number\n');
  });
});
