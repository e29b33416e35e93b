// Starts one local host from the command line (one host per process) and prints a ready line:
//   node dist/dev/host/cli.js --app <dir> --state <dir> [--port N] [--activity-concurrency N] [--setting K=V]...
// Logs go to stderr; stdout carries only the ready line, a JSON object:
//   {hostUrl, functionKey, functions}
// SIGINT/SIGTERM stop the host cleanly.
import { parseArgs } from 'node:util';
import { startHost } from './index.js';

export interface HostReadyLine {
  hostUrl: string;
  functionKey: string;
  functions: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: process.cwd() },
      state: { type: 'string', default: '.autopilot/host' },
      port: { type: 'string' },
      'activity-concurrency': { type: 'string' },
      setting: { type: 'string', multiple: true, default: [] },
    },
  });
  const settings: Record<string, string> = {};
  for (const pair of values.setting) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`HOST.USAGE: --setting expects KEY=VALUE, got "${pair}"`);
    settings[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const host = await startHost({
    appDir: values.app,
    stateDir: values.state,
    settings,
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['activity-concurrency']
      ? { activityConcurrency: Number(values['activity-concurrency']) }
      : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const ready: HostReadyLine = {
    hostUrl: host.url,
    functionKey: host.functionKey,
    functions: host.functions,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void host.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
