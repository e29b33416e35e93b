// Type-aware lint, plus the fences that keep the architecture honest:
// the domain imports no SDK/adapter/I-O; orchestrators stay deterministic; only config reads env.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

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
    files: ['src/**/*.ts', 'functions/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through src/config.ts.' },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins
            .filter((m) => !['crypto', 'node:crypto'].includes(m))
            .map((name) => ({ name, message: 'The domain is pure: no I/O.' })),
          patterns: [
            { group: ['@azure/*', 'durable-functions', 'hyparquet*'], message: 'The domain imports no SDK.' },
            {
              group: ['**/adapters/**', '**/functions/**', '**/dev/**'],
              message: 'The domain imports no adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['functions/fineTuneOrchestrator.ts', 'src/orchestration/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Orchestrators are deterministic: no Node built-ins.',
          })),
          patterns: [{ group: ['**/adapters/**'], message: 'Orchestrators do no I/O: call an activity.' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Use context.df.currentUtcDateTime.' },
        { name: 'process', message: 'Orchestrators read no environment.' },
        { name: 'setTimeout', message: 'Use context.df.createTimer.' },
        { name: 'setInterval', message: 'Use context.df.createTimer.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use context.df.newGuid.' },
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
      ],
    },
  },
  {
    files: ['dev/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    // The emulator keeps its own reading of the specs: it never imports the app.
    files: ['dev/emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**'], message: 'The emulator never imports the app (src/).' }] },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
