// The chaos suite's secrets scan: every log line and state file of a stack, and every blob the app
// wrote, searched for the secret values the stack knows (host keys, endpoint keys, the storage
// account key) and for the shapes secrets take (connection strings, SAS signatures, bearer tokens,
// keys in URLs, private keys).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Shapes of secrets, whatever their value. */
export const SECRET_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'storage connection string', pattern: /AccountKey=[A-Za-z0-9+/]{20,}/ },
  { name: 'shared access key', pattern: /SharedAccessKey=[A-Za-z0-9+/]{20,}/ },
  { name: 'SAS signature', pattern: /[?&]sig=[A-Za-z0-9%+/]{16,}/ },
  { name: 'bearer token', pattern: /Bearer\s+[A-Za-z0-9\-._~+/]{16,}/ },
  { name: 'key in a URL', pattern: /[?&](?:code|key)=[A-Za-z0-9_\-%]{20,}/ },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

export interface SecretFinding {
  /** Where: a file path, `log`, or `blob <name>`. */
  readonly where: string;
  /** Which secret: a pattern's name, or `value <label>` for a known secret value. */
  readonly what: string;
}

export interface ScanResult {
  readonly sourcesScanned: number;
  /** Secret values and patterns looked for, times the sources they were looked for in. */
  readonly lookups: number;
  readonly findings: readonly SecretFinding[];
}

/** Searches each source's text for every known value (label -> value) and every pattern. */
export function scanTexts(
  sources: readonly { where: string; text: string }[],
  values: Readonly<Record<string, string>>,
): ScanResult {
  const findings: SecretFinding[] = [];
  // short values would match by chance and are no secret anyway
  const known = Object.entries(values).filter(([, value]) => value.length >= 8);
  for (const { where, text } of sources) {
    for (const [label, value] of known)
      if (text.includes(value)) findings.push({ where, what: `value ${label}` });
    for (const { name, pattern } of SECRET_PATTERNS)
      if (pattern.test(text)) findings.push({ where, what: name });
  }
  return {
    sourcesScanned: sources.length,
    lookups: sources.length * (known.length + SECRET_PATTERNS.length),
    findings,
  };
}

/** Every file under `dir` (relative paths), except under the `skip` folders or files (relative). */
export function filesUnder(dir: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(dir, relative))) {
      const child = relative === '' ? entry : path.join(relative, entry);
      if (skip.includes(child)) continue;
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export const readText = (file: string): string => readFileSync(file, 'utf8');
