import { JsonlScanner } from '../../../src/domain/dataset/jsonl.js';
import { ReportBuilder } from '../../../src/domain/dataset/report.js';
import type { ValidateOptions, ValidationReport } from '../../../src/domain/dataset/types.js';

/** Runs the JSONL core over text or bytes, fed in chunks of `chunkSize` bytes. */
export function validateText(
  input: string | Uint8Array,
  options: ValidateOptions = {},
  chunkSize = 1 << 20,
): ValidationReport {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const report = new ReportBuilder('jsonl', options);
  const scanner = new JsonlScanner(report, options);
  for (let i = 0; i < bytes.length && scanner.wantsMore; i += chunkSize)
    scanner.push(bytes.slice(i, i + chunkSize));
  scanner.end();
  return report.finish();
}

export const line = (row: unknown): string => `${JSON.stringify(row)}\n`;
export const chat = (...turns: [string, string][]) => ({
  messages: turns.map(([role, content]) => ({ role, content })),
});
export const GOOD = chat(['user', 'Hi'], ['assistant', 'Hello!']);
