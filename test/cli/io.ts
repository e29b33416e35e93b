import { Readable, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/args.js';

/** A CliIo whose output is captured as text and whose stdin is the given bytes. */
export function captureIo(stdin: Uint8Array | string = '', options: { stderrIsTTY?: boolean } = {}) {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString();
        done();
      },
    });
  const stderr = Object.assign(sink('stderr'), { isTTY: options.stderrIsTTY ?? false });
  const io: CliIo = { stdout: sink('stdout'), stderr, stdin: Readable.from([Buffer.from(stdin)]) };
  return { io, out };
}
