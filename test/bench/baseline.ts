// The benchmark's yardstick (spawned by validate.bench): the simplest correct JSONL reader in
// Node — readline over a file stream, JSON.parse of each non-empty line, count the messages.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: baseline.js <file.jsonl>');
let rows = 0;
let messages = 0;
const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
for await (const line of lines) {
  if (line.length === 0) continue;
  const row = JSON.parse(line) as { messages?: unknown[] };
  rows++;
  messages += row.messages?.length ?? 0;
}
process.stdout.write(`${JSON.stringify({ rows, messages })}\n`);
