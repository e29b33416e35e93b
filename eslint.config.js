// Type-aware lint, plus the fences that keep the architecture honest (docs/development.md,
// "Fences"; each one is proven to fire by test/lint/fences.test.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

// ---------------------------------------------------------------------------------------------
// Fences.
//
// Flat config does not merge a rule's options across config objects: a file matched by two
// objects that both set `no-restricted-imports` gets only the last one's list. So the fences are
// written as data and composed here: the tree is cut into disjoint file groups (first match wins,
// see `fenceConfigs`), each fence names the groups it holds in, and each group gets ONE config
// object whose four rules (no-restricted-imports, -globals, -properties, -syntax) hold the union
// of its fences' entries. No other config object in this file may set those four rules.

/**
 * A relative import of one of the app's top-level modules, e.g. `../config.js`, `../../dev/x.js`,
 * `./adapters/index.js`, `../src/runs/startRun.js` (from functions/); `rest` matches what follows
 * the name. Matched on the specifier, not the resolved file, so a module named like a layer
 * (say src/domain/config.ts, imported as ./config.js) is refused too: name it otherwise.
 */
const layer = (name, rest = '(?:/|\\.js$|$)') => new RegExp(`^(?:\\./|(?:\\.\\./)+)(?:src/)?${name}${rest}`);

/**
 * An import fence: the static form (import/export ... from) goes to no-restricted-imports, the
 * dynamic form with a literal (`await import('../dev/x.js')`) and the type form
 * (`typeof import('../dev/x.js')`) go to no-restricted-syntax, which core no-restricted-imports
 * does not look at. `allowTypeImports` lets `import type` through (the type form then too).
 */
const banImport = (regex, message, { allowTypeImports = false } = {}) => ({
  patterns: [
    { regex: regex.source, caseSensitive: true, message, ...(allowTypeImports && { allowTypeImports }) },
  ],
  syntax: [
    { selector: `ImportExpression[source.value=${String(regex)}]`, message },
    ...(allowTypeImports ? [] : [{ selector: `TSImportType Literal[value=${String(regex)}]`, message }]),
  ],
});

const SDK = /^(?:@azure\/|durable-functions(?:\/|$)|hyparquet)/;
/** The SDKs but durable-functions, the orchestrator's own. */
const IO_SDK = /^(?:@azure\/|hyparquet)/;
const DEV = layer('dev', '/');
const DETERMINISTIC_GLOBALS = [
  { name: 'Date', message: 'Use context.df.currentUtcDateTime (or build a Date from it).' },
  { name: 'process', message: 'Orchestrators read no environment: settings come in the input.' },
  { name: 'setTimeout', message: 'Use context.df.createTimer.' },
  { name: 'setInterval', message: 'Use context.df.createTimer.' },
  { name: 'setImmediate', message: 'Use context.df.createTimer.' },
  { name: 'crypto', message: 'Use context.df.newGuid (crypto is not replay-safe).' },
  { name: 'fetch', message: 'Orchestrators do no I/O: call an activity.' },
  { name: 'performance', message: 'Use context.df.currentUtcDateTime.' },
  { name: 'globalThis', message: 'Orchestrators reach no globals through globalThis.' },
];
const DETERMINISTIC_PROPERTIES = [
  // Also listed as properties (beside the Date global): a line that disables no-restricted-globals
  // for a replay-safe `new Date(...)` still may not call the clock.
  { object: 'Math', property: 'random', message: 'Use context.df.newGuid.' },
  { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
];

const fences = {
  settings: {
    // Only src/config.ts reads the environment.
    groups: [
      'domain',
      'orchestration',
      'orchestratorRegistration',
      'compositionRoot',
      'runs',
      'adapters',
      'cli',
      'app',
      'functions',
    ],
    properties: [{ object: 'process', property: 'env', message: 'Read settings through src/config.ts.' }],
  },
  domainPure: {
    // dev/ comes from srcNoDev, process.env from settings (both hold here too).
    groups: ['domain'],
    paths: nodeBuiltins
      .filter((m) => !['crypto', 'node:crypto'].includes(m))
      .map((name) => ({ name, message: 'The domain is pure: no I/O.' })),
    imports: [
      banImport(SDK, 'The domain imports no SDK.'),
      ...[
        'adapters',
        'config',
        'composition',
        'runs',
        'http',
        'activities',
        'orchestration',
        'functions',
      ].map((m) =>
        banImport(layer(m), `The domain is pure: it imports no ${m} (they depend on it, not it on them).`),
      ),
    ],
    syntax: [{ selector: 'ImportExpression', message: 'The domain is pure: no dynamic import.' }],
  },
  orchestratorDeterministic: {
    // The orchestrator's logic: replayed, so deterministic, and it touches the world only through
    // activities (src/orchestration/contract.ts). Imports: the domain, names, durable-functions.
    groups: ['orchestration'],
    paths: nodeBuiltins.map((name) => ({
      name,
      message: 'Orchestrators are deterministic: no Node built-ins.',
    })),
    imports: [
      banImport(IO_SDK, 'Orchestrators do no I/O: call an activity.'),
      ...['adapters', 'config', 'composition', 'runs', 'http', 'activities', 'functions'].map((m) =>
        banImport(layer(m), `Orchestrators import no ${m}: call an activity; settings come in the input.`),
      ),
    ],
    globals: DETERMINISTIC_GLOBALS,
    properties: DETERMINISTIC_PROPERTIES,
    syntax: [
      { selector: 'ImportExpression', message: 'Orchestrators are deterministic: no dynamic import.' },
    ],
  },
  orchestratorRegistration: {
    // functions/fineTuneOrchestrator.ts holds no orchestrator logic: it registers the orchestrator
    // (src/orchestration/fineTuneRun.ts) and the activities, whose handlers are built by the
    // composition root. So it may import @azure/functions (the start-up hook) and the root
    // (src/composition.ts), and nothing else of the app's I/O;
    // the determinism rules hold here too, as nothing in a registration needs the clock.
    groups: ['orchestratorRegistration'],
    paths: nodeBuiltins.map((name) => ({
      name,
      message: 'Orchestrators are deterministic: no Node built-ins.',
    })),
    imports: [
      banImport(
        layer('runs'),
        'Registration imports no runs: take what the handlers need from the composition root.',
      ),
      ...['config', 'http', 'activities'].map((m) =>
        banImport(
          layer(m),
          `Registration imports no ${m}: take what the handlers need from the composition root.`,
        ),
      ),
    ],
    globals: DETERMINISTIC_GLOBALS,
    properties: DETERMINISTIC_PROPERTIES,
  },
  srcNoDev: {
    // Shipped code never needs the local stack (.funcignore drops dev/): not by import, not by
    // import type, not by a string path handed to import() later.
    groups: [
      'domain',
      'orchestration',
      'orchestratorRegistration',
      'compositionRoot',
      'runs',
      'adapters',
      'cli',
      'config',
      'app',
      'functions',
    ],
    imports: [banImport(DEV, 'src/ and functions/ never import dev/: the shipped package has no dev/.')],
    syntax: [
      {
        selector: `:not(ImportDeclaration, ExportNamedDeclaration, ExportAllDeclaration, ImportExpression, TSImportType, TSLiteralType) > Literal[value=${String(DEV)}]`,
        message: 'src/ and functions/ never import dev/: not by a string path either.',
      },
      {
        selector: `TemplateElement[value.raw=${String(DEV)}]`,
        message: 'src/ and functions/ never import dev/: not by a string path either.',
      },
    ],
  },
  runsNoHttp: {
    groups: ['runs', 'compositionRoot'],
    imports: [banImport(layer('http'), 'runs/ never imports http/: the use cases know nothing of HTTP.')],
  },
  adaptersOnlyInRoot: {
    // Value imports of concrete adapters only in the composition root, adapters/ itself and the
    // offline CLI (src/cli/validate.ts, prepare.ts run the dataset adapter on local files: that is
    // their job; plan.ts imports none). A type is no runtime dependency, but ports are declared in
    // src/domain/ports.ts: import them from there. The domain and the orchestrator ban adapters
    // outright, types included (their own fences).
    groups: ['orchestratorRegistration', 'runs', 'app', 'config', 'functions'],
    imports: [
      banImport(
        layer('adapters'),
        'Only the composition root builds concrete adapters: take a port (src/domain/ports.ts).',
        {
          allowTypeImports: true,
        },
      ),
    ],
  },
  emulatorNoSrc: {
    // The emulator keeps its own reading of the specs: it never imports the app.
    groups: ['emulator'],
    imports: [banImport(layer('src', '/'), 'The emulator never imports the app (src/).')],
  },
};

/** The disjoint file groups, first match wins. src/composition.ts is the composition root. */
const fileGroups = [
  ['domain', ['src/domain/**/*.ts']],
  ['orchestration', ['src/orchestration/**/*.ts']],
  ['orchestratorRegistration', ['functions/fineTuneOrchestrator.ts']],
  ['compositionRoot', ['src/composition.ts']],
  ['runs', ['src/runs/**/*.ts']],
  ['adapters', ['src/adapters/**/*.ts']],
  ['cli', ['src/cli/**/*.ts']],
  ['config', ['src/config.ts']],
  ['app', ['src/**/*.ts']],
  ['functions', ['functions/**/*.ts']],
  ['emulator', ['dev/emulator/**/*.ts']],
];

/** One config object per file group, its rules the union of the fences that hold there. */
function fenceConfigs() {
  const known = new Set(fileGroups.map(([group]) => group));
  for (const [name, fence] of Object.entries(fences))
    for (const group of fence.groups)
      if (!known.has(group))
        throw new Error(`eslint.config.js: fence ${name} names unknown file group ${group}`);
  const earlier = [];
  return fileGroups.map(([group, files]) => {
    const here = Object.values(fences).filter((f) => f.groups.includes(group));
    const imports = here.flatMap((f) => f.imports ?? []);
    const paths = here.flatMap((f) => f.paths ?? []);
    const patterns = imports.flatMap((i) => i.patterns);
    const globals = here.flatMap((f) => f.globals ?? []);
    const properties = here.flatMap((f) => f.properties ?? []);
    const syntax = [...imports.flatMap((i) => i.syntax), ...here.flatMap((f) => f.syntax ?? [])];
    const rules = {};
    if (paths.length + patterns.length > 0) rules['no-restricted-imports'] = ['error', { paths, patterns }];
    if (globals.length > 0) rules['no-restricted-globals'] = ['error', ...globals];
    if (properties.length > 0) rules['no-restricted-properties'] = ['error', ...properties];
    if (syntax.length > 0) rules['no-restricted-syntax'] = ['error', ...syntax];
    const config = { name: `fences/${group}`, files, ignores: [...earlier], rules };
    earlier.push(...files);
    return config;
  });
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.autopilot/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['dev/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  ...fenceConfigs(),
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
