// The architecture fences of eslint.config.js (docs/development.md, "Fences"), each seen to fail:
// a small violating snippet is linted at a path the fence covers and the exact rule and message
// must come back; a compliant snippet must come back clean. The fences are syntactic, so the
// type-aware rules are switched off here (a probe is not a file of the TypeScript project, and
// building the program would take most of a minute); `npm run lint` runs them over the tree.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: 'eslint.config.js',
    overrideConfig: [
      tseslint.configs.disableTypeChecked,
      // Disables of type-aware rules (dev/host/invoker.ts) look unused once those rules are off.
      { linterOptions: { reportUnusedDisableDirectives: 'off' } },
    ],
  });
});

interface Finding {
  ruleId: string | null;
  message: string;
}

async function lint(code: string, filePath: string): Promise<Finding[]> {
  const results = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return results.flatMap((r) => r.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}

const pattern = (specifier: string, message: string): Finding => ({
  ruleId: 'no-restricted-imports',
  message: `'${specifier}' import is restricted from being used by a pattern. ${message}`,
});
const builtin = (specifier: string, message: string): Finding => ({
  ruleId: 'no-restricted-imports',
  message: `'${specifier}' import is restricted from being used. ${message}`,
});
const syntax = (message: string): Finding => ({ ruleId: 'no-restricted-syntax', message });
const global = (name: string, message: string): Finding => ({
  ruleId: 'no-restricted-globals',
  message: `Unexpected use of '${name}'. ${message}`,
});
const property = (object: string, prop: string, message: string): Finding => ({
  ruleId: 'no-restricted-properties',
  message: `'${object}.${prop}' is restricted from being used. ${message}`,
});

const NO_DEV = 'src/ and functions/ never import dev/: the shipped package has no dev/.';
const NO_DEV_STRING = 'src/ and functions/ never import dev/: not by a string path either.';
const NO_ENV = 'Read settings through src/config.ts.';
const ONLY_ROOT = 'Only the composition root builds concrete adapters: take a port (src/domain/ports.ts).';

describe('settings: only src/config.ts reads process.env', () => {
  it.each([
    'src/domain/__fence_probe.ts',
    'src/runs/__fence_probe.ts',
    'src/activities/__fence_probe.ts',
    'src/http/__fence_probe.ts',
    'src/adapters/__fence_probe.ts',
    'src/cli/__fence_probe.ts',
    'src/composition.ts',
    'functions/__fence_probe.ts',
  ])('process.env in %s', async (file) => {
    expect(await lint('export const region = process.env.REGION;\n', file)).toEqual([
      property('process', 'env', NO_ENV),
    ]);
  });

  it('process.env in src/config.ts passes', async () => {
    expect(await lint('export const region = process.env.REGION;\n', 'src/config.ts')).toEqual([]);
  });
});

describe('domain: pure, imports no SDK, I/O or outer layer', () => {
  const FILE = 'src/domain/__fence_probe.ts';

  it.each(['node:fs', 'fs', 'node:http', 'node:path'])('Node built-in %s', async (specifier) => {
    expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([
      builtin(specifier, 'The domain is pure: no I/O.'),
    ]);
  });

  it.each(['@azure/storage-blob', '@azure/functions', 'durable-functions', 'hyparquet', 'hyparquet-writer'])(
    'SDK %s',
    async (specifier) => {
      expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([
        pattern(specifier, 'The domain imports no SDK.'),
      ]);
    },
  );

  it.each([
    ['../adapters/index.js', 'adapters'],
    ['../config.js', 'config'],
    ['../composition.js', 'composition'],
    ['../runs/startRun.js', 'runs'],
    ['../http/errors.js', 'http'],
    ['../activities/index.js', 'activities'],
    ['../orchestration/contract.js', 'orchestration'],
    ['../../functions/runsApi.js', 'functions'],
    ['../../src/config.js', 'config'],
  ])('outer layer %s', async (specifier, name) => {
    expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([
      pattern(specifier, `The domain is pure: it imports no ${name} (they depend on it, not it on them).`),
    ]);
  });

  it('an outer layer by import type', async () => {
    expect(
      await lint("import type { Ports } from '../adapters/index.js';\nexport type P = Ports;\n", FILE),
    ).toEqual([
      pattern(
        '../adapters/index.js',
        'The domain is pure: it imports no adapters (they depend on it, not it on them).',
      ),
    ]);
  });

  it('an outer layer from a nested domain folder', async () => {
    expect(await lint("import '../../config.js';\n", 'src/domain/dataset/__fence_probe.ts')).toEqual([
      pattern(
        '../../config.js',
        'The domain is pure: it imports no config (they depend on it, not it on them).',
      ),
    ]);
  });

  it('a dynamic import', async () => {
    expect(await lint("export const m = await import('./errors.js');\n", FILE)).toEqual([
      syntax('The domain is pure: no dynamic import.'),
    ]);
  });

  it('a dynamic import of an outer layer names the layer too', async () => {
    // Same node, so ESLint orders them by selector specificity: the bare ImportExpression first.
    expect(await lint("export const m = await import('../config.js');\n", FILE)).toEqual([
      syntax('The domain is pure: no dynamic import.'),
      syntax('The domain is pure: it imports no config (they depend on it, not it on them).'),
    ]);
  });

  it('node:crypto and domain modules pass', async () => {
    const code = [
      "import { createHash } from 'node:crypto';",
      "import { fail } from './errors.js';",
      "import type { DatasetRef } from './runView.js';",
      "import { ReportBuilder } from './dataset/report.js';",
      'export const used = [createHash, fail, ReportBuilder];',
      'export type D = DatasetRef;',
      '',
    ].join('\n');
    expect(await lint(code, FILE)).toEqual([]);
  });
});

describe('orchestrator logic (src/orchestration/**): deterministic, no I/O', () => {
  const FILE = 'src/orchestration/__fence_probe.ts';
  const BUILTIN = 'Orchestrators are deterministic: no Node built-ins.';

  it.each(['node:crypto', 'crypto', 'node:fs', 'node:timers', 'node:perf_hooks'])(
    'Node built-in %s',
    async (specifier) => {
      expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([builtin(specifier, BUILTIN)]);
    },
  );

  it.each(['@azure/functions', '@azure/storage-blob', 'hyparquet'])('SDK %s', async (specifier) => {
    expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([
      pattern(specifier, 'Orchestrators do no I/O: call an activity.'),
    ]);
  });

  it.each([
    ['../config.js', 'config'],
    ['../runs/startRun.js', 'runs'],
    ['../runs/services.js', 'runs'],
    ['../activities/index.js', 'activities'],
    ['../http/errors.js', 'http'],
    ['../adapters/index.js', 'adapters'],
    ['../composition.js', 'composition'],
    ['../../functions/runsApi.js', 'functions'],
  ])('layer %s', async (specifier, name) => {
    expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([
      pattern(specifier, `Orchestrators import no ${name}: call an activity; settings come in the input.`),
    ]);
  });

  it('an adapter by import type', async () => {
    expect(
      await lint("import type { Ports } from '../adapters/index.js';\nexport type P = Ports;\n", FILE),
    ).toEqual([
      pattern(
        '../adapters/index.js',
        'Orchestrators import no adapters: call an activity; settings come in the input.',
      ),
    ]);
  });

  it.each([
    [
      'export const id = crypto.randomUUID();',
      'crypto',
      'Use context.df.newGuid (crypto is not replay-safe).',
    ],
    ["export const r = fetch('https://example.org');", 'fetch', 'Orchestrators do no I/O: call an activity.'],
    ['export const d = new Date();', 'Date', 'Use context.df.currentUtcDateTime (or build a Date from it).'],
    [
      'export const e = process.exitCode;',
      'process',
      'Orchestrators read no environment: settings come in the input.',
    ],
    ['export const t = setTimeout(() => undefined, 1);', 'setTimeout', 'Use context.df.createTimer.'],
    ['export const t = setInterval(() => undefined, 1);', 'setInterval', 'Use context.df.createTimer.'],
    ['export const t = setImmediate(() => undefined);', 'setImmediate', 'Use context.df.createTimer.'],
    ['export const t = performance.now();', 'performance', 'Use context.df.currentUtcDateTime.'],
    ['export const d = globalThis.Date;', 'globalThis', 'Orchestrators reach no globals through globalThis.'],
  ])('global: %s', async (code, name, message) => {
    expect(await lint(`${code}\n`, FILE)).toEqual([global(name, message)]);
  });

  it('Math.random', async () => {
    expect(await lint('export const r = Math.random();\n', FILE)).toEqual([
      property('Math', 'random', 'Use context.df.newGuid.'),
    ]);
  });

  it('Date.now fires as a property even where the Date global is allowed by a disable', async () => {
    const code = [
      '// eslint-disable-next-line no-restricted-globals -- probe: the disable covers only the global',
      'export const now = Date.now();',
      '',
    ].join('\n');
    expect(await lint(code, FILE)).toEqual([property('Date', 'now', 'Use context.df.currentUtcDateTime.')]);
  });

  it('process.env fires as the global and as the settings fence', async () => {
    expect(await lint('export const region = process.env.REGION;\n', FILE)).toEqual([
      global('process', 'Orchestrators read no environment: settings come in the input.'),
      property('process', 'env', NO_ENV),
    ]);
  });

  it('a dynamic import', async () => {
    expect(await lint("export const m = await import('../names.js');\n", FILE)).toEqual([
      syntax('Orchestrators are deterministic: no dynamic import.'),
    ]);
  });

  it('durable-functions, the domain, names and replayed time pass', async () => {
    const code = [
      "import * as df from 'durable-functions';",
      "import type { OrchestrationContext } from 'durable-functions';",
      "import { evaluateGate } from '../domain/gate.js';",
      "import { ExternalEvent } from '../names.js';",
      "import { Activity } from './contract.js';",
      'export const used = [df, evaluateGate, ExternalEvent, Activity];',
      'export const at = (context: OrchestrationContext): number => context.df.currentUtcDateTime.getTime();',
      '',
    ].join('\n');
    expect(await lint(code, FILE)).toEqual([]);
  });
});

describe('orchestrator registration (functions/fineTuneOrchestrator.ts): the root and the orchestrator only', () => {
  const FILE = 'functions/fineTuneOrchestrator.ts';

  it.each([
    [
      '../src/runs/startRun.js',
      'Registration imports no runs: take what the handlers need from the composition root.',
    ],
    [
      '../src/runs/runInstances.js',
      'Registration imports no runs: take what the handlers need from the composition root.',
    ],
    [
      '../src/config.js',
      'Registration imports no config: take what the handlers need from the composition root.',
    ],
    [
      '../src/http/runsApi.js',
      'Registration imports no http: take what the handlers need from the composition root.',
    ],
    [
      '../src/activities/index.js',
      'Registration imports no activities: take what the handlers need from the composition root.',
    ],
    ['../src/adapters/index.js', ONLY_ROOT],
  ])('%s', async (specifier, message) => {
    expect(await lint(`import '${specifier}';\n`, FILE)).toEqual([pattern(specifier, message)]);
  });

  it('a Node built-in (node:crypto)', async () => {
    expect(await lint("import 'node:crypto';\n", FILE)).toEqual([
      builtin('node:crypto', 'Orchestrators are deterministic: no Node built-ins.'),
    ]);
  });

  it('the clock and the crypto global', async () => {
    expect(await lint('export const x = [Date.now(), crypto.randomUUID(), Math.random()];\n', FILE)).toEqual([
      global('Date', 'Use context.df.currentUtcDateTime (or build a Date from it).'),
      property('Date', 'now', 'Use context.df.currentUtcDateTime.'),
      global('crypto', 'Use context.df.newGuid (crypto is not replay-safe).'),
      property('Math', 'random', 'Use context.df.newGuid.'),
    ]);
  });

  it('the host, the durable SDK, the composition root and the orchestrator pass', async () => {
    const code = [
      "import { app } from '@azure/functions';",
      "import * as df from 'durable-functions';",
      "import { FunctionName } from '../src/names.js';",
      "import { ACTIVITY_KEYS } from '../src/orchestration/contract.js';",
      "import { fineTuneOrchestrator } from '../src/orchestration/fineTuneRun.js';",
      "import { getApp } from '../src/composition.js';",
      'export const used = [app, df, FunctionName, ACTIVITY_KEYS, fineTuneOrchestrator, getApp];',
      '',
    ].join('\n');
    expect(await lint(code, FILE)).toEqual([]);
  });
});

describe('src/ and functions/ never import dev/', () => {
  // One path per file group of eslint.config.js: the fence must survive the composition there.
  const FILES: [string, string][] = [
    ['src/domain/__fence_probe.ts', '../../dev/stack.js'],
    ['src/orchestration/__fence_probe.ts', '../../dev/stack.js'],
    ['functions/fineTuneOrchestrator.ts', '../dev/stack.js'],
    ['src/composition.ts', '../dev/stack.js'],
    ['src/runs/__fence_probe.ts', '../../dev/stack.js'],
    ['src/adapters/__fence_probe.ts', '../../dev/stack.js'],
    ['src/cli/__fence_probe.ts', '../../dev/stack.js'],
    ['src/config.ts', '../dev/stack.js'],
    ['src/activities/__fence_probe.ts', '../../dev/stack.js'],
    ['src/__fence_probe.ts', '../dev/stack.js'],
    ['functions/__fence_probe.ts', '../dev/stack.js'],
  ];

  it.each(FILES)('import in %s', async (file, specifier) => {
    expect(await lint(`import '${specifier}';\n`, file)).toEqual([pattern(specifier, NO_DEV)]);
  });

  it('import type', async () => {
    const code = "import type { StackOptions } from '../../dev/stack.js';\nexport type S = StackOptions;\n";
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([pattern('../../dev/stack.js', NO_DEV)]);
  });

  it('export from', async () => {
    expect(
      await lint("export { startStack } from '../../dev/stack.js';\n", 'src/cli/__fence_probe.ts'),
    ).toEqual([pattern('../../dev/stack.js', NO_DEV)]);
  });

  it('a dynamic import with a literal', async () => {
    const code = "export const stack = await import('../../dev/stack.js');\n";
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([syntax(NO_DEV)]);
  });

  it('a string path handed to import() later', async () => {
    const code =
      "const STACK_MODULE = '../../dev/stack.js';\nexport const stack = await import(STACK_MODULE);\n";
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([syntax(NO_DEV_STRING)]);
  });

  it('a template literal path', async () => {
    const code = 'export const stack = await import(`../../dev/${"stack"}.js`);\n';
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([syntax(NO_DEV_STRING)]);
  });

  it('a typeof import() type', async () => {
    const code = "export type Stack = typeof import('../../dev/stack.js');\n";
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([
      {
        ruleId: '@typescript-eslint/consistent-type-imports',
        message: '`import()` type annotations are forbidden.',
      },
      syntax(NO_DEV),
    ]);
  });

  it('text that mentions dev/ without being a path to it passes', async () => {
    const code = [
      "export const hint = 'run it from a clone: npm run build && node dist/dev/cli/main.js start';",
      "export const device = './devices/x.js';",
      '',
    ].join('\n');
    expect(await lint(code, 'src/cli/__fence_probe.ts')).toEqual([]);
  });
});

describe('runs/ never imports http/', () => {
  it.each(['src/runs/__fence_probe.ts', 'src/runs/startRun.ts'])('in %s', async (file) => {
    expect(await lint("import '../http/errors.js';\n", file)).toEqual([
      pattern('../http/errors.js', 'runs/ never imports http/: the use cases know nothing of HTTP.'),
    ]);
  });

  it('a dynamic import', async () => {
    const code = "export const m = await import('../http/runsApi.js');\n";
    expect(await lint(code, 'src/runs/__fence_probe.ts')).toEqual([
      syntax('runs/ never imports http/: the use cases know nothing of HTTP.'),
    ]);
  });

  it('the domain and the orchestration contract pass', async () => {
    const code = [
      "import { fail } from '../domain/errors.js';",
      "import type { FineTuneInput } from '../orchestration/contract.js';",
      "import { startRun } from './startRun.js';",
      'export const used = [fail, startRun];',
      'export type I = FineTuneInput;',
      '',
    ].join('\n');
    expect(await lint(code, 'src/runs/__fence_probe.ts')).toEqual([]);
  });
});

describe('only the composition root imports concrete adapters', () => {
  it.each([
    ['src/runs/__fence_probe.ts', '../adapters/index.js'],
    ['src/activities/__fence_probe.ts', '../adapters/index.js'],
    ['src/http/__fence_probe.ts', '../adapters/index.js'],
    ['src/__fence_probe.ts', './adapters/index.js'],
    ['src/config.ts', './adapters/index.js'],
    ['functions/__fence_probe.ts', '../src/adapters/index.js'],
  ])('a value import in %s', async (file, specifier) => {
    const code = `import { getPorts } from '${specifier}';\nexport const used = getPorts;\n`;
    expect(await lint(code, file)).toEqual([pattern(specifier, ONLY_ROOT)]);
  });

  it('a dynamic import', async () => {
    const code = "export const m = await import('../adapters/dataset.js');\n";
    expect(await lint(code, 'src/activities/__fence_probe.ts')).toEqual([syntax(ONLY_ROOT)]);
  });

  it('an import type passes', async () => {
    const code = "import type { Ports } from '../adapters/index.js';\nexport type P = Ports;\n";
    expect(await lint(code, 'src/runs/__fence_probe.ts')).toEqual([]);
  });

  it.each([
    [
      'src/composition.ts',
      "import { getPorts } from './adapters/index.js';\nexport const used = getPorts;\n",
    ],
    [
      'src/adapters/__fence_probe.ts',
      "import { JsonHttpClient } from './http.js';\nexport const used = JsonHttpClient;\n",
    ],
    [
      'src/cli/__fence_probe.ts',
      "import { validateDataset } from '../adapters/dataset.js';\nexport const used = validateDataset;\n",
    ],
  ])('a value import in %s passes', async (file, code) => {
    expect(await lint(code, file)).toEqual([]);
  });
});

describe('the emulator never imports src/', () => {
  const FILE = 'dev/emulator/__fence_probe.ts';

  it('an import', async () => {
    expect(await lint("import '../../src/domain/runId.js';\n", FILE)).toEqual([
      pattern('../../src/domain/runId.js', 'The emulator never imports the app (src/).'),
    ]);
  });

  it('a dynamic import', async () => {
    expect(await lint("export const m = await import('../../src/names.js');\n", FILE)).toEqual([
      syntax('The emulator never imports the app (src/).'),
    ]);
  });

  it('its own modules pass', async () => {
    expect(await lint("import { x } from './state.js';\nexport const used = x;\n", FILE)).toEqual([]);
  });
});

describe('the tree', () => {
  it('holds every fence: src/, functions/ and dev/emulator/ lint clean', async () => {
    const results = await eslint.lintFiles(['src', 'functions', 'dev/emulator']);
    const findings = results.flatMap((r) =>
      r.messages.map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.ruleId} ${m.message}`),
    );
    expect(findings).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
    // type-aware lint of the whole tree: about 20 s alone on 2 cores, more beside other test files
  }, 180_000);

  it('disables a fence rule in src/ and functions/ only for the replay-safe Date in fineTuneRun.ts', () => {
    const FENCE_RULE = /eslint-disable\S*\s+[^\n]*no-restricted-(?:imports|globals|properties|syntax)[^\n]*/g;
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (rel.endsWith('.ts'))
          for (const m of readFileSync(path.join(ROOT, rel), 'utf8').matchAll(FENCE_RULE))
            found.push(`${rel}: ${m[0]}`);
      }
    };
    walk('src');
    walk('functions');
    expect(found).toEqual([
      'src/orchestration/fineTuneRun.ts: eslint-disable-next-line no-restricted-globals -- deterministic: built from currentUtcDateTime, not the clock',
    ]);
  });
});
