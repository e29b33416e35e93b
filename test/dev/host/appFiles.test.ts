import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readHostJson,
  readLocalSettings,
  resolveMainFiles,
  resolvePlaceholders,
} from '../../../dev/host/appFiles.js';
import { tempDir } from './fixture.js';

function app(files: Record<string, string>): string {
  const dir = tempDir('host-app');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('local settings', () => {
  it('reads local.settings.json Values first', () => {
    const dir = app({
      'local.settings.json': JSON.stringify({ Values: { A: 'local' } }),
      'local.settings.sample.json': JSON.stringify({ Values: { A: 'sample' } }),
    });
    expect(readLocalSettings(dir).values).toEqual({ A: 'local' });
  });

  it('falls back to local.settings.sample.json, and to nothing', () => {
    expect(
      readLocalSettings(app({ 'local.settings.sample.json': JSON.stringify({ Values: { A: 's' } }) })).values,
    ).toEqual({ A: 's' });
    expect(readLocalSettings(app({})).values).toEqual({});
  });

  it('rejects a non-string value, naming the key and file', () => {
    const dir = app({ 'local.settings.json': JSON.stringify({ Values: { N: 5 } }) });
    expect(() => readLocalSettings(dir)).toThrow(
      `HOST.SETTINGS_INVALID: ${path.join(dir, 'local.settings.json')}: Values.N must be a string`,
    );
  });
});

describe('placeholders', () => {
  it('resolves %NAME% from settings', () => {
    expect(resolvePlaceholders('%HUB%x', { HUB: 'h' }, 'here')).toBe('hx');
  });

  it('names the missing setting and where it is used', () => {
    expect(() => resolvePlaceholders('%NOPE%', {}, 'function t binding timer property schedule')).toThrow(
      'HOST.SETTING_MISSING: function t binding timer property schedule refers to %NOPE%, which is not set',
    );
  });

  it('resolves the durable hub name in host.json and defaults the route prefix to api', () => {
    const dir = app({ 'host.json': JSON.stringify({ extensions: { durableTask: { hubName: '%HUB%' } } }) });
    expect(readHostJson(dir, (v, w) => resolvePlaceholders(v, { HUB: 'myhub' }, w))).toEqual({
      routePrefix: 'api',
      hubName: 'myhub',
    });
  });
});

describe('package.json main', () => {
  it('expands a wildcard in the file name, sorted, ignoring other files', () => {
    const dir = app({
      'package.json': JSON.stringify({ main: 'dist/functions/*.js' }),
      'dist/functions/b.js': '',
      'dist/functions/a.js': '',
      'dist/functions/a.js.map': '',
    });
    expect(resolveMainFiles(dir)).toEqual([
      path.join(dir, 'dist/functions/a.js'),
      path.join(dir, 'dist/functions/b.js'),
    ]);
  });

  it('says to build first when the folder is missing', () => {
    const dir = app({ 'package.json': JSON.stringify({ main: 'dist/functions/*.js' }) });
    expect(() => resolveMainFiles(dir)).toThrow('HOST.NO_FUNCTIONS');
  });
});
