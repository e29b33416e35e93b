// Where the operator commands (`autopilot upload|runs|lines`) find the running system: flags first
// (`--url`, `--key`, `--state-dir`), then the environment (AUTOPILOT_URL, AUTOPILOT_KEY,
// AUTOPILOT_STATE_DIR, read by src/config.ts), then the state file a local stack started by
// `npm start` writes (dev/stack.ts): `<state dir>/stack.json`, mode 0600, removed when it stops.
// The file's name and shape are declared here, once, for its writer and its readers.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadCliSettings, type CliSettings } from '../config.js';
import { UsageError } from './args.js';

export const STACK_FILE = 'stack.json';
/** The folder `npm start` keeps its state in when given no `--state-dir` (dev/cli/start.ts). */
export const DEFAULT_STATE_DIR_NAME = '.autopilot';

/** What a running local stack tells its clients: the `start` ready line without the emulator. */
export interface StackFile {
  readonly hostUrl: string;
  readonly functionKey: string;
  readonly storageConnectionString: string;
  readonly trainingContainer: string;
}

/** The options every command that talks to the system takes. */
export const connectionOptions = {
  url: { type: 'string' },
  key: { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

export interface ConnectionFlags {
  readonly url?: string | undefined;
  readonly key?: string | undefined;
  readonly 'state-dir'?: string | undefined;
}

/** The package folder (the one with package.json) this module belongs to, from src/ or dist/src/. */
export function packageDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** The settings, a malformed one being a usage error (exit 2) that names its key. */
export function cliSettings(): CliSettings {
  try {
    return loadCliSettings();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--state-dir`, else AUTOPILOT_STATE_DIR, else `<package>/.autopilot` (npm start's default). */
export function stateDirOf(flags: ConnectionFlags, settings: CliSettings): string {
  return path.resolve(
    flags['state-dir'] ?? settings.stateDir ?? path.join(packageDir(), DEFAULT_STATE_DIR_NAME),
  );
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** The local stack's state file, or undefined when there is none (no stack running there). */
export function readStackFile(stateDir: string): StackFile | undefined {
  const file = path.join(stateDir, STACK_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON; delete it and restart the local stack (npm start)`);
  }
  const v = value as Partial<Record<keyof StackFile, unknown>>;
  if (
    typeof value !== 'object' ||
    value === null ||
    !isText(v.hostUrl) ||
    !isText(v.functionKey) ||
    !isText(v.storageConnectionString) ||
    !isText(v.trainingContainer)
  ) {
    throw new UsageError(
      `${file} lacks hostUrl, functionKey, storageConnectionString or trainingContainer; delete it and restart the local stack (npm start)`,
    );
  }
  return {
    hostUrl: v.hostUrl,
    functionKey: v.functionKey,
    storageConnectionString: v.storageConnectionString,
    trainingContainer: v.trainingContainer,
  };
}

/** Written by the local stack when it is ready: readable by its owner only (it holds the function key). */
export function writeStackFile(stateDir: string, value: StackFile): string {
  const file = path.join(stateDir, STACK_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  const { hostUrl, functionKey, storageConnectionString, trainingContainer } = value;
  writeFileSync(
    temporary,
    `${JSON.stringify({ hostUrl, functionKey, storageConnectionString, trainingContainer }, null, 2)}\n`,
    { mode: 0o600 },
  );
  renameSync(temporary, file);
  return file;
}

/** Removed when the stack stops, so no client is pointed at a host that is gone. */
export function removeStackFile(stateDir: string): void {
  rmSync(path.join(stateDir, STACK_FILE), { force: true });
}

export interface ApiTarget {
  /** The Function App's base URL, without a trailing `/` or `/api`. */
  readonly baseUrl: string;
  /** The function key, sent in `x-functions-key`; never printed, never put in a URL. */
  readonly key?: string;
}

/** `https://app.azurewebsites.net/api/` and `https://app.azurewebsites.net` name the same API. */
export function apiBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  }
  if (parsed.search !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new UsageError('--url takes the app URL alone: no query (a key goes in --key or AUTOPILOT_KEY)');
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
}

/**
 * The API to call. The local stack's key is only sent to the local stack's URL: with `--url` or
 * AUTOPILOT_URL pointing elsewhere, the key has to come from `--key` or AUTOPILOT_KEY.
 */
export function resolveApiTarget(flags: ConnectionFlags, settings: CliSettings = cliSettings()): ApiTarget {
  const given = flags.url ?? settings.apiUrl;
  const key = flags.key ?? settings.apiKey;
  const needStack = given === undefined || key === undefined;
  const stateDir = stateDirOf(flags, settings);
  const stack = needStack ? readStackFile(stateDir) : undefined;
  if (given === undefined && stack === undefined) {
    throw new UsageError(
      `no API to talk to: pass --url (or set AUTOPILOT_URL), or start the local stack with 'npm start' (it writes ${path.join(stateDir, STACK_FILE)}; AUTOPILOT_STATE_DIR or --state-dir names another state folder)`,
    );
  }
  const baseUrl = apiBaseUrl(given ?? stack?.hostUrl ?? '');
  const stackKey =
    stack !== undefined && apiBaseUrl(stack.hostUrl) === baseUrl ? stack.functionKey : undefined;
  const chosen = key ?? stackKey;
  return chosen === undefined ? { baseUrl } : { baseUrl, key: chosen };
}
