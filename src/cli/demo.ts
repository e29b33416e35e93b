// `autopilot demo [--verbose]`: the whole flow on a throw-away local stack (see dev/demo.ts).
import { ExitCode, parseCommandLine } from './args.js';
import type { Command } from './main.js';
import { APP_DIR } from './start.js';
import type { DemoOptions } from '../../dev/demo.js';

const DEMO_MODULE = '../../dev/demo.js';

export const demo: Command = async (args, io) => {
  const { values } = parseCommandLine(args, { verbose: { type: 'boolean', default: false } }, false);
  const { runDemo } = (await import(DEMO_MODULE)) as { runDemo: (options: DemoOptions) => Promise<number> };
  const code = await runDemo({
    appDir: APP_DIR,
    out: io.stdout,
    ...(values.verbose ? { log: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  });
  return code === 0 ? ExitCode.ok : ExitCode.invalidInput;
};
