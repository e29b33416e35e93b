import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Write-then-rename: a crash leaves either the old file or the new one, never half of one. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${counter++}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}
