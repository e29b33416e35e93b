// `autopilot emulator [--port N] [--config file] [--state-file file]`: runs the Azure ML emulator
// (dev/emulator) until SIGINT/SIGTERM. The dev module is loaded at run time from the compiled tree, so the
// deployment package never needs dev/.
import type { Command } from './main.js';
import { ExitCode, integerOption, parseCommandLine } from './args.js';

interface EmulatorModule {
  startEmulator(options: {
    port?: number;
    config?: string;
    stateFile?: string;
    log?: (line: string) => void;
  }): Promise<{
    baseUrl: string;
    stop(): Promise<void>;
  }>;
  readyLine(emulator: unknown): unknown;
  DEFAULT_PORT: number;
}

// From dist/src/cli/emulator.js the compiled dev module is two levels up.
const EMULATOR_MODULE = '../../dev/emulator/index.js';

export const emulator: Command = async (args, io) => {
  const { values } = parseCommandLine(
    args,
    { port: { type: 'string' }, config: { type: 'string' }, 'state-file': { type: 'string' } },
    false,
  );
  const dev = (await import(EMULATOR_MODULE)) as EmulatorModule;
  const port = integerOption('port', values.port, dev.DEFAULT_PORT, 0, 65535);
  const running = await dev.startEmulator({
    port,
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values['state-file'] === undefined ? {} : { stateFile: values['state-file'] }),
    log: (line) => io.stderr.write(`${line}\n`),
  });
  // Handlers go in before the ready line: whoever reads it may signal us right away.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout.write(`${JSON.stringify(dev.readyLine(running))}\n`);
  await stopped;
  await running.stop();
  return ExitCode.ok;
};

export default emulator;
