// Loaded with `node --import` into each benchmarked process: reports its peak RSS on exit, so the
// validator and the baseline are measured the same way without changing either.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nBENCH_PEAK_RSS_KB ${process.resourceUsage().maxRSS}\n`);
});
