// The command-line helpers every subcommand shares (src/cli/args.ts): parse errors and bad
// numbers are UsageError (exit 2) with a message naming the option.
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError, integerOption, parseCommandLine } from '../../src/cli/args.js';

describe('ExitCode', () => {
  it('is 0 for ok, 1 for invalid input, 2 for a usage error', () => {
    expect(ExitCode).toEqual({ ok: 0, invalidInput: 1, usage: 2 });
  });
});

describe('parseCommandLine', () => {
  const options = { top: { type: 'string' }, json: { type: 'boolean' } } as const;

  it('returns the options and positionals', () => {
    const parsed = parseCommandLine(['data.jsonl', '--top', '5', '--json'], options);
    expect(parsed.values).toEqual({ top: '5', json: true });
    expect(parsed.positionals).toEqual(['data.jsonl']);
  });

  it('turns an unknown option into a UsageError', () => {
    expect(() => parseCommandLine(['--colour'], options)).toThrow(UsageError);
    expect(() => parseCommandLine(['--colour'], options)).toThrow(/Unknown option '--colour'/);
  });

  it('refuses positionals when they are not allowed', () => {
    expect(() => parseCommandLine(['extra'], options, false)).toThrow(UsageError);
  });
});

describe('integerOption', () => {
  it('is the fallback when the option is absent', () => {
    expect(integerOption('top', undefined, 20)).toBe(20);
  });

  it('is the number given, bounds included', () => {
    expect(integerOption('top', '0', 20)).toBe(0);
    expect(integerOption('top', '7', 20, 1, 7)).toBe(7);
  });

  it('refuses a value that is not a whole number, naming the option and the bounds', () => {
    for (const raw of ['-1', '1.5', 'ten', '']) {
      expect(() => integerOption('top', raw, 20, 0, 100)).toThrow(
        new UsageError(`--top must be a whole number from 0 to 100, got '${raw}'`),
      );
    }
  });

  it('refuses a value out of bounds', () => {
    expect(() => integerOption('seed', '101', 1, 1, 100)).toThrow(
      "--seed must be a whole number from 1 to 100, got '101'",
    );
    expect(() => integerOption('seed', '0', 1, 1, 100)).toThrow(
      "--seed must be a whole number from 1 to 100, got '0'",
    );
  });

  it('is a UsageError named UsageError', () => {
    let caught: unknown;
    try {
      integerOption('top', 'x', 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).name).toBe('UsageError');
  });
});
