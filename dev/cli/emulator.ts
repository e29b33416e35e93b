// `emulator [--port N] [--config file] [--state-file file]` (npm run emulator): the Azure ML
// emulator (dev/emulator) alone, until SIGINT/SIGTERM; its ready line is the last stdout line.
import { ExitCode, integerOption, parseCommandLine } from '../../src/cli/args.js';
import type { Command } from '../../src/cli/dispatch.js';
import { DEFAULT_PORT, readyLine, startEmulator } from '../emulator/index.js';
import { untilStopSignal } from './stopSignal.js';

export const emulator: Command = async (args, io) => {
  const { values } = parseCommandLine(
    args,
    { port: { type: 'string' }, config: { type: 'string' }, 'state-file': { type: 'string' } },
    false,
  );
  const port = integerOption('port', values.port, DEFAULT_PORT, 0, 65535);
  const running = await startEmulator({
    port,
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values['state-file'] === undefined ? {} : { stateFile: values['state-file'] }),
    log: (line) => io.stderr.write(`${line}\n`),
  });
  const stopped = untilStopSignal();
  io.stdout.write(`${JSON.stringify(readyLine(running))}\n`);
  await stopped;
  await running.stop();
  return ExitCode.ok;
};
