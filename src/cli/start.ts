// `autopilot start [--host-port N] [--emulator-port N] [--state-dir DIR]`: the local stack (Azurite,
// the Azure ML emulator, the local Functions host running this app, the storage-events publisher),
// wired together, until Ctrl-C. Prints the URLs and keys, and last the ready line
// (docs/contracts.md "Ready lines").
// The dev module is loaded at run time from the compiled tree; the deployment package has no dev/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, integerOption, parseCommandLine } from './args.js';
import type { Command } from './main.js';
import type { StackOptions, RunningStack } from '../../dev/stack.js';

// From dist/src/cli/start.js the compiled dev module is two levels up; the app folder three.
const STACK_MODULE = '../../dev/stack.js';
export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const start: Command = async (args, io) => {
  const { values } = parseCommandLine(
    args,
    {
      'host-port': { type: 'string' },
      'emulator-port': { type: 'string' },
      'state-dir': { type: 'string' },
    },
    false,
  );
  const hostPort = integerOption('host-port', values['host-port'], 7071, 0, 65535);
  const emulatorPort = integerOption('emulator-port', values['emulator-port'], 7072, 0, 65535);
  const stateDir = path.resolve(values['state-dir'] ?? path.join(APP_DIR, '.autopilot'));
  const { startStack } = (await import(STACK_MODULE)) as {
    startStack: (options: StackOptions) => Promise<RunningStack>;
  };
  const stack = await startStack({
    appDir: APP_DIR,
    stateDir,
    persistent: true,
    hostPort,
    emulatorPort,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  const say = (line: string): boolean => io.stdout.write(`${line}\n`);
  say(`Functions host   ${stack.hostUrl}  (function key: ${stack.functionKey})`);
  say(`HTTP API         ${stack.hostUrl}/api/runs  (header x-functions-key: <function key>)`);
  say(
    `Azure ML         ${stack.emulator.baseUrl}  (admin: ${stack.emulator.adminUrl}, CA: ${stack.emulator.caCertPath})`,
  );
  say(`Storage          container '${stack.trainingContainer}' on Azurite; drop datasets under incoming/`);
  say(`State            ${stateDir}  (delete it to start over)`);
  say('Ctrl-C stops everything.');
  const { hostUrl, functionKey, storageConnectionString, trainingContainer, emulator } = stack;
  say(JSON.stringify({ hostUrl, functionKey, storageConnectionString, trainingContainer, emulator }));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stderr.write('stopping the local stack\n');
  await stack.stop();
  return ExitCode.ok;
};
