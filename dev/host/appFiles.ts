// What `func start` reads from an app folder: local.settings.json (Values), host.json, and the
// package.json `main` glob naming the files that register functions.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export class AppConfigError extends Error {
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

const SETTINGS_FILES = ['local.settings.json', 'local.settings.sample.json'];

/** `Values` of local.settings.json, falling back to local.settings.sample.json; `{}` when neither exists. */
export function readLocalSettings(appDir: string): {
  file: string | undefined;
  values: Record<string, string>;
} {
  for (const name of SETTINGS_FILES) {
    const file = path.join(appDir, name);
    if (!existsSync(file)) continue;
    const parsed = parseJsonFile(file) as { Values?: unknown };
    const values = parsed.Values ?? {};
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new AppConfigError('HOST.SETTINGS_INVALID', `${file}: "Values" must be an object of strings`);
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (typeof value !== 'string') {
        throw new AppConfigError('HOST.SETTINGS_INVALID', `${file}: Values.${key} must be a string`);
      }
      out[key] = value;
    }
    return { file, values: out };
  }
  return { file: undefined, values: {} };
}

export interface HostJson {
  routePrefix: string;
  hubName: string | undefined;
}

export function readHostJson(appDir: string, resolve: (value: string, where: string) => string): HostJson {
  const file = path.join(appDir, 'host.json');
  if (!existsSync(file)) return { routePrefix: 'api', hubName: undefined };
  const json = parseJsonFile(file) as {
    extensions?: { http?: { routePrefix?: string }; durableTask?: { hubName?: string } };
  };
  const hub = json.extensions?.durableTask?.hubName;
  return {
    routePrefix: json.extensions?.http?.routePrefix ?? 'api',
    hubName: hub === undefined ? undefined : resolve(hub, 'host.json extensions.durableTask.hubName'),
  };
}

/** Files matched by package.json `main` (a path whose last segment may hold `*`), sorted. */
export function resolveMainFiles(appDir: string): string[] {
  const pkg = parseJsonFile(path.join(appDir, 'package.json')) as { main?: unknown };
  if (typeof pkg.main !== 'string' || pkg.main === '') {
    throw new AppConfigError(
      'HOST.NO_MAIN',
      `${path.join(appDir, 'package.json')}: "main" must name the function files`,
    );
  }
  const pattern = pkg.main;
  const dir = path.resolve(appDir, path.dirname(pattern));
  const base = path.basename(pattern);
  if (!base.includes('*')) return [path.resolve(appDir, pattern)];
  if (dir.includes('*')) {
    throw new AppConfigError(
      'HOST.MAIN_UNSUPPORTED',
      `"main" ${pattern}: only the file name may hold a wildcard`,
    );
  }
  const re = new RegExp('^' + base.split('*').map(escapeRegExp).join('[^/]*') + '$');
  if (!existsSync(dir)) {
    throw new AppConfigError(
      'HOST.NO_FUNCTIONS',
      `"main" ${pattern}: folder ${dir} does not exist (build first?)`,
    );
  }
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

const PLACEHOLDER = /%([^%\s]+)%/g;

/** Replaces `%NAME%` with the setting's value, as the Functions host does for binding properties. */
export function resolvePlaceholders(
  value: string,
  env: Record<string, string | undefined>,
  where: string,
): string {
  return value.replace(PLACEHOLDER, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      throw new AppConfigError('HOST.SETTING_MISSING', `${where} refers to %${name}%, which is not set`);
    }
    return v;
  });
}

function parseJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AppConfigError('HOST.FILE_UNREADABLE', `${file} cannot be read`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new AppConfigError('HOST.JSON_INVALID', `${file}: ${(e as Error).message}`);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
