import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderAssets } from '../../src/adapters/staticAssets.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'assets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>, into = dir): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(into, name), text);
}

describe('FolderAssets', () => {
  it('serves the page, its modules and styles with their content types', async () => {
    write({ 'index.html': '<!doctype html>', 'main.js': 'export {};', 'dashboard.css': 'body{}' });
    const assets = new FolderAssets(dir);

    const got = await Promise.all(['index.html', 'main.js', 'dashboard.css'].map((n) => assets.get(n)));

    expect(got.map((a) => [Buffer.from(a?.body ?? []).toString(), a?.contentType])).toEqual([
      ['<!doctype html>', 'text/html; charset=utf-8'],
      ['export {};', 'text/javascript; charset=utf-8'],
      ['body{}', 'text/css; charset=utf-8'],
    ]);
  });

  it('serves nothing but plain names of those types: no source maps, dot files, sub-folders or ..', async () => {
    const served = path.join(dir, 'served');
    mkdirSync(path.join(served, 'sub'), { recursive: true });
    write({ 'main.js.map': '{}', '.env': 'SECRET=1', 'notes.txt': 'x' }, served);
    write({ 'inner.js': 'x' }, path.join(served, 'sub'));
    write({ 'outside.js': 'x' });
    const assets = new FolderAssets(served);

    const names = ['main.js.map', '.env', 'notes.txt', 'sub/inner.js', '../outside.js', 'sub'];
    expect(await Promise.all(names.map((n) => assets.get(n)))).toEqual(names.map(() => undefined));
  });

  it('a folder not built yet has no files, and is read again once it is', async () => {
    const later = path.join(dir, 'dist-dashboard');
    const assets = new FolderAssets(later);

    expect(await assets.get('index.html')).toBeUndefined();
    mkdirSync(later);
    write({ 'index.html': 'built' }, later);
    expect(Buffer.from((await assets.get('index.html'))?.body ?? []).toString()).toBe('built');
  });
});
