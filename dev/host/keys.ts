// Local function, master and system keys: generated once, persisted in the state dir, so URLs and
// scripts keep working across restarts (as the keys in a Function App's storage do).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './fsUtil.js';

export const SystemKeyName = {
  eventGrid: 'eventgrid_extension',
  durableTask: 'durabletask_extension',
} as const;

export interface HostKeys {
  functionKey: string;
  masterKey: string;
  systemKeys: { eventgrid_extension: string; durabletask_extension: string };
}

const KEYS_FILE = 'keys.json';

function newKey(): string {
  return randomBytes(30).toString('base64url');
}

export function loadOrCreateKeys(stateDir: string): HostKeys {
  const file = path.join(stateDir, KEYS_FILE);
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as HostKeys;
    if (
      keys.functionKey &&
      keys.masterKey &&
      keys.systemKeys?.eventgrid_extension &&
      keys.systemKeys.durabletask_extension
    ) {
      return keys;
    }
  }
  const keys: HostKeys = {
    functionKey: newKey(),
    masterKey: newKey(),
    systemKeys: { eventgrid_extension: newKey(), durabletask_extension: newKey() },
  };
  writeFileAtomic(file, JSON.stringify(keys, null, 2), 0o600);
  return keys;
}

/** Replaces every key value in a log line, so no secret reaches a log. */
export function redactor(keys: HostKeys): (line: string) => string {
  const secrets = [keys.functionKey, keys.masterKey, ...Object.values(keys.systemKeys)];
  return (line) => secrets.reduce((acc, s) => acc.split(s).join('***'), line);
}
