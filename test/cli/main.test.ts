// The shipped `autopilot` command: its usage, and the development commands (which need dev/, not
// in the package) answered with where to run them instead.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from './io.js';

const USAGE =
  'usage: autopilot <command> [options]\n\n' +
  'commands:\n' +
  '  validate   check a chat dataset (JSONL or Parquet) before any GPU is paid for\n' +
  '  prepare    sample and split a chat dataset into train.jsonl and test.jsonl\n' +
  '  plan       show the parameters, run id and Azure ML job a dataset would get (offline)\n' +
  '  upload     upload a dataset to incoming/<line>/ (test, overrides, then train) and print its run id\n' +
  '  runs       list, show, watch, start and cancel runs on the running system (HTTP API)\n' +
  '  lines      list, show, wake, park and delete serving lines (HTTP API)\n\n' +
  'development commands, from a clone of the repository: start (npm start), demo (npm run demo), emulator (npm run emulator)\n';

describe('autopilot', () => {
  it('prints its usage with --help and exits 0', async () => {
    const { io, out } = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(out).toEqual({ stdout: USAGE, stderr: '' });
  });

  it('exits 2 with the usage when no command is given', async () => {
    const { io, out } = captureIo();
    expect(await main([], io)).toBe(2);
    expect(out).toEqual({ stdout: USAGE, stderr: '' });
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const { io, out } = captureIo();
    expect(await main(['deploy'], io)).toBe(2);
    expect(out).toEqual({ stdout: '', stderr: `autopilot: unknown command 'deploy'\n${USAGE}` });
  });

  it.each([['constructor'], ['toString'], ['__proto__']])(
    'exits 2 with the usage for %s, a name inherited from Object.prototype',
    async (name) => {
      const { io, out } = captureIo();
      expect(await main([name], io)).toBe(2);
      expect(out).toEqual({ stdout: '', stderr: `autopilot: unknown command '${name}'\n${USAGE}` });
    },
  );

  it.each([
    ['start', 'npm start'],
    ['demo', 'npm run demo'],
    ['emulator', 'npm run emulator'],
  ])('answers the development command %s with exit 2 and how to run it from a clone', async (name, run) => {
    const { io, out } = captureIo();
    expect(await main([name, '--verbose'], io)).toBe(2);
    expect(out).toEqual({
      stdout: '',
      stderr:
        `autopilot ${name}: '${name}' is a development command and not part of the installed CLI; ` +
        `run it from a clone of the repository: ${run} (or: npm run build && node dist/dev/cli/main.js ${name})\n`,
    });
  });
});
