// The package infra/deploy.sh ships (dist/src, dist/functions, dist/dashboard, host.json, package.json and the
// production node_modules; .funcignore keeps the same) must work without dev/: every compiled
// module loads, and the development commands answer with where to run them. Runs the compiled
// tree (npm test builds first) copied into a folder that has no dev/ and no test/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');
let pkg: string;

beforeAll(() => {
  expect(existsSync(path.join(repo, 'dist', 'src')), 'dist/ is missing: run `npm run build`').toBe(true);
  pkg = mkdtempSync(path.join(tmpdir(), 'autopilot-package-'));
  for (const dir of ['src', 'functions', 'dashboard']) {
    cpSync(path.join(repo, 'dist', dir), path.join(pkg, 'dist', dir), { recursive: true });
  }
  for (const file of ['host.json', 'package.json']) cpSync(path.join(repo, file), path.join(pkg, file));
  symlinkSync(path.join(repo, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
});
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

const jsFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => path.join(dir, file))
    .sort();

describe('the shipped package', () => {
  it('loads every compiled module of src/ and functions/ without dev/', () => {
    const modules = [
      ...jsFiles(path.join(pkg, 'dist', 'src')),
      ...jsFiles(path.join(pkg, 'dist', 'functions')),
    ];
    const script = `for (const m of ${JSON.stringify(modules)}) await import(m); console.log('loaded', ${modules.length});`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(result.stdout).toBe(`loaded ${modules.length}\n`);
    expect(result.status).toBe(0);
  });

  it("serves the dashboard's page from the package's dist/dashboard", () => {
    const composition = path.join(pkg, 'dist', 'src', 'composition.js');
    const script = `const { dashboardDeps } = await import(${JSON.stringify(composition)}); const page = await dashboardDeps().assets.get('index.html'); console.log(page.contentType, Buffer.from(page.body).toString().startsWith('<!doctype html>'));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('text/html; charset=utf-8 true\n');
  });

  it('answers `autopilot start` with exit 2 and how to run it from a clone', () => {
    const result = spawnSync(process.execPath, [path.join(pkg, 'dist', 'src', 'cli', 'main.js'), 'start'], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "autopilot start: 'start' is a development command and not part of the installed CLI; " +
        'run it from a clone of the repository: npm start (or: npm run build && node dist/dev/cli/main.js start)\n',
    );
  });
});
