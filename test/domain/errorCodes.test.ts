// The one table of error codes: every code has an HTTP status and someone who can fix it, no code
// reaches the API as an unexplained 500, and no code is written anywhere in src/ without being in
// the table (the compiler checks typed uses; this scan catches a literal that slipped past it).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../src/domain/errorCodes.js';
import { errorResponse } from '../../src/http/errors.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('error codes', () => {
  it('gives every code a 4xx or 5xx status and who can fix it', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code, code).toMatch(/^(INTERNAL|[A-Z]+\.[A-Z0-9_]+)$/);
      expect(info.status >= 400 && info.status <= 599, `${code}: ${info.status}`).toBe(true);
      expect(['caller', 'operator', 'retry'], code).toContain(info.fixedBy);
    }
  });

  it('answers a caller-fixable code with a 4xx, never 500', () => {
    const callerCodes = Object.entries(ERROR_CODES).filter(([, info]) => info.fixedBy === 'caller');
    expect(callerCodes.length).toBeGreaterThan(40);
    for (const [code, info] of callerCodes) expect(info.status, code).toBeLessThan(500);
  });

  it('answers RUN.TOO_MANY_RERUNS with 409 and its own message (it was a 500)', () => {
    expect(errorResponse({ code: 'RUN.TOO_MANY_RERUNS', message: 'more than 100 forced re-runs' })).toEqual({
      status: 409,
      jsonBody: { error: { code: 'RUN.TOO_MANY_RERUNS', message: 'more than 100 forced re-runs' } },
    });
  });

  it('answers a service fault as INTERNAL with a generic message', () => {
    expect(errorResponse({ code: 'AZUREML.UNAVAILABLE', message: 'PUT job x: HTTP 503' })).toEqual({
      status: 500,
      jsonBody: {
        error: { code: 'INTERNAL', message: 'the request could not be completed; try again later' },
      },
    });
  });

  it('has every code literal written in src/ in the table', () => {
    const stray: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/['`]([A-Z]+\.[A-Z][A-Z0-9_]+)['`]/g)) {
        const code = match[1] ?? '';
        if (!isErrorCode(code)) stray.push(`${path.relative(SRC, file)}: ${code}`);
      }
    }
    expect(stray).toEqual([]);
  });

  it('knows the codes built from service answers, e.g. STORAGE.NOT_FOUND, and no others', () => {
    expect(isErrorCode('STORAGE.NOT_FOUND')).toBe(true);
    expect(isErrorCode('SCORING.THROTTLED')).toBe(true);
    expect(isErrorCode('STORAGE.MADE_UP')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
