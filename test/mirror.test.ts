// test/ mirrors src/ and functions/: every source file has its test at the mirrored path, or a
// line in test/README.md saying where it is tested (format described there). A new file without
// either fails here, and so does a README line that has gone stale.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = 'test/README.md';

/** Repository-relative paths (forward slashes) of the .ts files under `dir`. */
function sourceFiles(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const child = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(child);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [child] : [];
  });
}

/** src/a/b.ts -> test/a/b.test.ts; functions/x.ts -> test/functions/x.test.ts. */
function mirroredTest(source: string): string {
  const withoutExt = source.replace(/\.ts$/, '');
  const relative = withoutExt.startsWith('src/') ? withoutExt.slice('src/'.length) : withoutExt;
  return `test/${relative}.test.ts`;
}

type Note = { kind: 'tested'; tests: string[] } | { kind: 'types' } | { kind: 'untested'; reason: string };

interface ReadmeLine {
  readonly line: number;
  readonly source: string;
  readonly note: Note | undefined;
  readonly text: string;
}

/** The `- src/...: note` and `- functions/...: note` lines of test/README.md. */
function parseReadme(text: string): ReadmeLine[] {
  const lines: ReadmeLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const match = /^- ((?:src|functions)\/\S+\.ts): (.*)$/.exec(raw.trim());
    if (!match) return;
    const [, source = '', rest = ''] = match;
    lines.push({ line: index + 1, source, note: parseNote(rest), text: raw });
  });
  return lines;
}

function parseNote(rest: string): Note | undefined {
  const tested = /^tested in (.+?)(?: \(.*\))?$/.exec(rest);
  if (tested) {
    const tests = (tested[1] ?? '').split(',').map((t) => t.trim());
    return tests.every((t) => /^test\/\S+\.ts$/.test(t)) ? { kind: 'tested', tests } : undefined;
  }
  if (/^types only( \(.*\))?$/.test(rest)) return { kind: 'types' };
  const untested = /^not tested: (.+)$/.exec(rest);
  if (untested) return { kind: 'untested', reason: untested[1] ?? '' };
  return undefined;
}

const RUNTIME_EXPORT = /^export\s+(?:declare\s+)?(?:const|let|var|function|async\s+function|class|enum)\b/m;

describe('the README line format', () => {
  it('reads a "tested in" line with several tests and a reason', () => {
    expect(
      parseReadme('- src/a/b.ts: tested in test/x.test.ts, test/y/z.test.ts (both entry points)\n'),
    ).toEqual([
      {
        line: 1,
        source: 'src/a/b.ts',
        note: { kind: 'tested', tests: ['test/x.test.ts', 'test/y/z.test.ts'] },
        text: '- src/a/b.ts: tested in test/x.test.ts, test/y/z.test.ts (both entry points)',
      },
    ]);
  });

  it('reads "types only" and "not tested" lines, and ignores other lines', () => {
    const parsed = parseReadme(
      ['# Tests', '- functions/f.ts: types only (shapes)', 'prose', '- src/c.ts: not tested: a gap'].join(
        '\n',
      ),
    );
    expect(parsed.map((l) => [l.line, l.source, l.note])).toEqual([
      [2, 'functions/f.ts', { kind: 'types' }],
      [4, 'src/c.ts', { kind: 'untested', reason: 'a gap' }],
    ]);
  });

  it('has no note for a line it cannot read', () => {
    expect(parseReadme('- src/a.ts: covered somewhere\n- src/b.ts: tested in the e2e suite')).toEqual([
      { line: 1, source: 'src/a.ts', note: undefined, text: '- src/a.ts: covered somewhere' },
      { line: 2, source: 'src/b.ts', note: undefined, text: '- src/b.ts: tested in the e2e suite' },
    ]);
  });

  it('mirrors src/ under test/ without the src/ prefix, and functions/ under test/functions/', () => {
    expect(mirroredTest('src/domain/gate.ts')).toBe('test/domain/gate.test.ts');
    expect(mirroredTest('src/config.ts')).toBe('test/config.test.ts');
    expect(mirroredTest('functions/runsApi.ts')).toBe('test/functions/runsApi.test.ts');
  });
});

describe('the test tree mirrors src/ and functions/', () => {
  const sources = [...sourceFiles('src'), ...sourceFiles('functions')].sort();
  const notes = parseReadme(readFileSync(path.join(ROOT, README), 'utf8'));
  const noted = new Map(notes.map((n) => [n.source, n]));

  it('finds the source files', () => {
    expect(sources.length).toBeGreaterThan(50);
  });

  it('gives every source file a test at its mirrored path or a line in test/README.md', () => {
    const missing = sources.filter((s) => !existsSync(path.join(ROOT, mirroredTest(s))) && !noted.has(s));
    expect(
      missing.map((s) => `${s}: add ${mirroredTest(s)} or a line "- ${s}: tested in test/..." to ${README}`),
    ).toEqual([]);
  });

  it('reads every README line about a source file', () => {
    const unreadable = notes.filter((n) => n.note === undefined);
    expect(
      unreadable.map(
        (n) => `${README}:${n.line}: '${n.text.trim()}' is not in a format described at its top`,
      ),
    ).toEqual([]);
  });

  it('has no README line for a source file that does not exist, nor two for one file', () => {
    const stale = notes
      .filter((n) => !existsSync(path.join(ROOT, n.source)))
      .map((n) => `${README}:${n.line}: ${n.source} does not exist; remove or update the line`);
    const twice = notes
      .filter((n, i) => notes.findIndex((m) => m.source === n.source) !== i)
      .map((n) => `${README}:${n.line}: ${n.source} is listed twice`);
    expect([...stale, ...twice]).toEqual([]);
  });

  it('cites only test files that exist', () => {
    const dangling = notes.flatMap((n) =>
      n.note?.kind === 'tested'
        ? n.note.tests
            .filter((t) => !existsSync(path.join(ROOT, t)))
            .map((t) => `${README}:${n.line}: ${n.source} cites ${t}, which does not exist`)
        : [],
    );
    expect(dangling).toEqual([]);
  });

  it('calls a file "types only" only when it exports no runtime value', () => {
    const wrong = notes
      .filter((n) => n.note?.kind === 'types' && existsSync(path.join(ROOT, n.source)))
      .filter((n) => RUNTIME_EXPORT.test(readFileSync(path.join(ROOT, n.source), 'utf8')))
      .map((n) => `${README}:${n.line}: ${n.source} exports a runtime value; it needs a test`);
    expect(wrong).toEqual([]);
  });
});
