// `start [--host-port N] [--emulator-port N] [--state-dir DIR]` (npm start): the local stack
// (Azurite, the Azure ML emulator, the local Functions host running this app, the storage-events
// publisher), wired together, until Ctrl-C. Prints the URLs and keys, and last the ready line
// (docs/contracts.md "Ready lines").
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, integerOption, parseCommandLine } from '../../src/cli/args.js';
import { DEFAULT_STATE_DIR_NAME } from '../../src/cli/connection.js';
import type { Command } from '../../src/cli/dispatch.js';
import { startStack } from '../stack.js';
import { untilStopSignal } from './stopSignal.js';

// From dist/dev/cli/start.js the app folder (package.json, host.json, dist/) is three levels up.
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
  const stateDir = path.resolve(values['state-dir'] ?? path.join(APP_DIR, DEFAULT_STATE_DIR_NAME));
  const stack = await startStack({
    appDir: APP_DIR,
    stateDir,
    persistent: true,
    hostPort,
    emulatorPort,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  const stopped = untilStopSignal();
  const say = (line: string): boolean => io.stdout.write(`${line}\n`);
  say(`Functions host   ${stack.hostUrl}  (function key: ${stack.functionKey})`);
  say(`HTTP API         ${stack.hostUrl}/api/runs  (header x-functions-key: <function key>)`);
  say(
    `Azure ML         ${stack.emulator.baseUrl}  (admin: ${stack.emulator.adminUrl}, CA: ${stack.emulator.caCertPath})`,
  );
  say(`Storage          container '${stack.trainingContainer}' on Azurite; drop datasets under incoming/`);
  say(`State            ${stateDir}  (delete it to start over)`);
  say(
    `CLI              npx autopilot upload|runs|lines ... finds this stack through ${stack.stackFile}` +
      (values['state-dir'] === undefined ? '' : ` (set AUTOPILOT_STATE_DIR=${stateDir})`),
  );
  say('Ctrl-C stops everything.');
  const { hostUrl, functionKey, storageConnectionString, trainingContainer, emulator } = stack;
  say(JSON.stringify({ hostUrl, functionKey, storageConnectionString, trainingContainer, emulator }));
  await stopped;
  io.stderr.write('stopping the local stack\n');
  await stack.stop();
  return ExitCode.ok;
};
