import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import {
  apiBaseUrl,
  packageDir,
  readStackFile,
  removeStackFile,
  resolveApiTarget,
  stateDirOf,
  writeStackFile,
  type StackFile,
} from '../../src/cli/connection.js';

const STACK: StackFile = {
  hostUrl: 'http://127.0.0.1:7071',
  functionKey: 'stack-key',
  storageConnectionString: 'UseDevelopmentStorage=true',
  trainingContainer: 'training-data',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-connection-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the stack file', () => {
  it('is written readable by its owner only', () => {
    const file = writeStackFile(dir, STACK);
    expect(file).toBe(join(dir, 'stack.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reads back what was written', () => {
    writeStackFile(dir, STACK);
    expect(readStackFile(dir)).toEqual(STACK);
  });

  it('is absent once removed', () => {
    writeStackFile(dir, STACK);
    removeStackFile(dir);
    expect(readStackFile(dir)).toBeUndefined();
  });

  it('holds the four fields and nothing else', () => {
    writeStackFile(dir, { ...STACK, emulator: { adminUrl: 'x' } } as StackFile);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as object)).toEqual([
      'hostUrl',
      'functionKey',
      'storageConnectionString',
      'trainingContainer',
    ]);
  });

  it('is a usage error naming the file when it is not JSON', () => {
    writeFileSync(join(dir, 'stack.json'), '{nope');
    expect(() => readStackFile(dir)).toThrow(
      new UsageError(
        `${join(dir, 'stack.json')} is not JSON; delete it and restart the local stack (npm start)`,
      ),
    );
  });

  it('is a usage error when a field is missing', () => {
    writeFileSync(join(dir, 'stack.json'), JSON.stringify({ hostUrl: 'http://127.0.0.1:1' }));
    expect(() => readStackFile(dir)).toThrow(UsageError);
  });
});

describe('the state folder', () => {
  it('is --state-dir first', () => {
    expect(stateDirOf({ 'state-dir': dir }, { stateDir: '/elsewhere' })).toBe(dir);
  });

  it('is AUTOPILOT_STATE_DIR without the flag', () => {
    expect(stateDirOf({}, { stateDir: dir })).toBe(dir);
  });

  it("is the package's .autopilot folder (npm start's default) otherwise", () => {
    expect(stateDirOf({}, {})).toBe(join(packageDir(), '.autopilot'));
  });

  it('belongs to the folder holding package.json', () => {
    expect(readFileSync(join(packageDir(), 'package.json'), 'utf8')).toContain(
      '"name": "finetune-autopilot"',
    );
  });
});

describe('apiBaseUrl', () => {
  it('drops a trailing /api and slash', () => {
    expect(apiBaseUrl('https://app.azurewebsites.net/api/')).toBe('https://app.azurewebsites.net');
  });

  it('refuses a URL with a query (a key belongs in --key)', () => {
    expect(() => apiBaseUrl('https://app.azurewebsites.net/?code=secret')).toThrow(
      new UsageError('--url takes the app URL alone: no query (a key goes in --key or AUTOPILOT_KEY)'),
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => apiBaseUrl('ftp://x')).toThrow(
      new UsageError("--url must be an http(s) URL, got 'ftp://x'"),
    );
  });
});

describe('resolveApiTarget', () => {
  it('takes --url and --key over the environment', () => {
    expect(
      resolveApiTarget(
        { url: 'https://a.example', key: 'flag-key', 'state-dir': dir },
        { apiUrl: 'https://b.example', apiKey: 'env-key' },
      ),
    ).toEqual({ baseUrl: 'https://a.example', key: 'flag-key' });
  });

  it('takes AUTOPILOT_URL and AUTOPILOT_KEY without flags', () => {
    expect(
      resolveApiTarget({ 'state-dir': dir }, { apiUrl: 'https://b.example', apiKey: 'env-key' }),
    ).toEqual({
      baseUrl: 'https://b.example',
      key: 'env-key',
    });
  });

  it('finds the local stack in the state folder with no flags', () => {
    writeStackFile(dir, STACK);
    expect(resolveApiTarget({ 'state-dir': dir }, {})).toEqual({
      baseUrl: 'http://127.0.0.1:7071',
      key: 'stack-key',
    });
  });

  it("never sends the local stack's key to another URL", () => {
    writeStackFile(dir, STACK);
    expect(resolveApiTarget({ url: 'https://app.azurewebsites.net', 'state-dir': dir }, {})).toEqual({
      baseUrl: 'https://app.azurewebsites.net',
    });
  });

  it('is a usage error naming every way when there is no API', () => {
    expect(() => resolveApiTarget({ 'state-dir': dir }, {})).toThrow(
      new UsageError(
        `no API to talk to: pass --url (or set AUTOPILOT_URL), or start the local stack with 'npm start' (it writes ${join(dir, 'stack.json')}; AUTOPILOT_STATE_DIR or --state-dir names another state folder)`,
      ),
    );
  });
});
