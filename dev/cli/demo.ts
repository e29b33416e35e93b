// `demo [--verbose]` (npm run demo): the whole flow on a throw-away local stack (see dev/demo.ts).
import { ExitCode, parseCommandLine } from '../../src/cli/args.js';
import type { Command } from '../../src/cli/dispatch.js';
import { runDemo } from '../demo.js';
import { APP_DIR } from './start.js';

export const demo: Command = async (args, io) => {
  const { values } = parseCommandLine(args, { verbose: { type: 'boolean', default: false } }, false);
  const code = await runDemo({
    appDir: APP_DIR,
    out: io.stdout,
    ...(values.verbose ? { log: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  });
  return code === 0 ? ExitCode.ok : ExitCode.invalidInput;
};
