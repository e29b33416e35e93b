// The development entry (dev/cli/main.ts) dispatches start, demo and emulator; anything else is a
// usage error that lists them.
import { describe, expect, it } from 'vitest';
import { main } from '../../../dev/cli/main.js';
import { captureIo } from '../../cli/io.js';

const USAGE =
  'usage: node dist/dev/cli/main.js <command> [options]\n\n' +
  'development commands:\n' +
  '  start      run the local stack: Azurite, the Azure ML emulator, the Functions host (npm start)\n' +
  '  demo       the whole flow on a throw-away local stack, end to end (npm run demo)\n' +
  '  emulator   run the Azure ML emulator (local HTTPS ARM) alone (npm run emulator)\n';

describe('dev/cli main', () => {
  it('prints its usage with --help and exits 0', async () => {
    const { io, out } = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(out).toEqual({ stdout: USAGE, stderr: '' });
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const { io, out } = captureIo();
    expect(await main(['validate'], io)).toBe(2);
    expect(out).toEqual({
      stdout: '',
      stderr: `node dist/dev/cli/main.js: unknown command 'validate'\n${USAGE}`,
    });
  });

  it('exits 2 naming the option when a command line is wrong', async () => {
    const { io, out } = captureIo();
    expect(await main(['emulator', '--port', '70000'], io)).toBe(2);
    expect(out).toEqual({
      stdout: '',
      stderr:
        "node dist/dev/cli/main.js emulator: --port must be a whole number from 0 to 65535, got '70000'\n",
    });
  });
});
