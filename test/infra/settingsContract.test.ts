// The settings contract: README's settings table is the single list of settings. The Function
// App's app settings in infra/main.json are its "in Azure" column, local.settings.sample.json its
// "local value" column, and src/config.ts reads exactly its keys (bar host and binding ones).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluateString } from './armExpression.js';

const repo = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, repo), 'utf8');

const NOT_SET = /^(-|not set\b)/i;
const MARKED = /\((host only|binding)\)/;
const SETTING_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER = ['name', 'meaning', 'local value', 'in Azure'];

interface Row {
  readonly name: string;
  readonly meaning: string;
  readonly local: string;
  readonly azure: string;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

/** The first markdown table with the settings header in a piece of markdown. */
function settingsTable(markdown: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith('|') && cells(l).join('|') === HEADER.join('|'));
  if (start < 0) throw new Error(`no table with header | ${HEADER.join(' | ')} |`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

function section(markdown: string, name: string): string {
  const match = new RegExp(`<!-- section:${name} -->([\\s\\S]*?)<!-- /section:${name} -->`).exec(markdown);
  if (!match?.[1]) throw new Error(`README has no section '${name}'`);
  return match[1];
}

const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');
/** The leading `literal` of a cell, if the cell starts with one. */
const literal = (cell: string): string | undefined => /^`([^`]*)`/.exec(cell)?.[1];

const readmeRows: Row[] = settingsTable(section(read('README.md'), 'settings')).map((c) => ({
  name: unquote(c[0] ?? ''),
  meaning: c[1] ?? '',
  local: c[2] ?? '',
  azure: c[3] ?? '',
}));
const keys = (rows: readonly Row[]): string[] => rows.map((r) => r.name).sort();
const azureRows = readmeRows.filter((r) => !NOT_SET.test(r.azure));
const localRows = readmeRows.filter((r) => r.local !== '-');

const sample = JSON.parse(read('local.settings.sample.json')) as {
  Values: Record<string, string>;
  LocalOnly: string[];
};

interface AppSetting {
  name: string;
  value: string;
}
const mainTemplate = JSON.parse(read('infra/main.json')) as {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  resources: { type: string; properties?: { siteConfig?: { appSettings?: AppSetting[] } } }[];
};
const functionApp = mainTemplate.resources.find((r) => r.type === 'Microsoft.Web/sites');
const appSettings = functionApp?.properties?.siteConfig?.appSettings ?? [];

/** Keys src/config.ts reads: every `r.<reader>('KEY'...)` call. */
const configKeys: string[] = [
  ...new Set(
    [...read('src/config.ts').matchAll(/\br\.\w+(?:<[^>]*>)?\(\s*'([A-Za-z_][A-Za-z0-9_]*)'/g)].map(
      (m) => m[1] ?? '',
    ),
  ),
].sort();

describe('README settings table', () => {
  it('has one row per setting key', () => {
    expect(readmeRows.length).toBeGreaterThan(0);
    expect(readmeRows.filter((r) => !SETTING_KEY.test(r.name)).map((r) => r.name)).toEqual([]);
    expect(new Set(keys(readmeRows)).size).toBe(readmeRows.length);
  });

  it('lists exactly the Function App app settings of infra/main.json in its "in Azure" column', () => {
    expect(functionApp).toBeDefined();
    expect(appSettings.map((s) => s.name).sort()).toEqual(keys(azureRows));
  });

  it('lists exactly the Values of local.settings.sample.json in its "local value" column', () => {
    expect(Object.keys(sample.Values).sort()).toEqual(keys(localRows));
  });

  it('marks as LocalOnly in the sample exactly the local keys that have no Azure value', () => {
    const azure = new Set(keys(azureRows));
    expect([...sample.LocalOnly].sort()).toEqual(keys(localRows).filter((k) => !azure.has(k)));
  });

  it('shows the literal values the sample file and the template (with parameter defaults) actually set', () => {
    const scope = {
      parameters: mainTemplate.parameters,
      variables: mainTemplate.variables,
      parameterDefaults: true,
    };
    const mismatches: string[] = [];
    for (const row of readmeRows) {
      const local = literal(row.local);
      if (local !== undefined && sample.Values[row.name] !== local) {
        mismatches.push(`${row.name} local: README '${local}', sample '${sample.Values[row.name]}'`);
      }
      const azure = literal(row.azure);
      const setting = appSettings.find((s) => s.name === row.name);
      if (azure !== undefined && setting !== undefined) {
        const value = evaluateString(setting.value, scope);
        if (value !== azure)
          mismatches.push(`${row.name} in Azure: README '${azure}', template '${JSON.stringify(value)}'`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('src/config.ts and the settings table', () => {
  it('finds the keys config.ts reads', () => {
    expect(configKeys).toContain('AZUREML_WORKSPACE');
    expect(configKeys).toContain('AzureWebJobsStorage__accountName');
  });

  it('documents every key config.ts reads', () => {
    const documented = new Set(keys(readmeRows));
    expect(configKeys.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('sets no key that neither config.ts nor the host or a binding reads', () => {
    const unused = readmeRows.filter((r) => !configKeys.includes(r.name) && !MARKED.test(r.meaning));
    expect(unused.map((r) => r.name)).toEqual([]);
  });
});

// DESIGN.md is the shared design next to the repo in CI (../shared/DESIGN.md); AUTOPILOT_DESIGN_MD
// points at it elsewhere.
const designCandidates = [
  process.env.AUTOPILOT_DESIGN_MD,
  fileURLToPath(new URL('../shared/DESIGN.md', repo)),
];
const designPath = designCandidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));

describe('DESIGN.md settings table', () => {
  it.skipIf(designPath === undefined)(
    `names only keys the README table has${designPath === undefined ? ' (SKIPPED: ../shared/DESIGN.md not found next to the repo; set AUTOPILOT_DESIGN_MD)' : ''}`,
    () => {
      const designKeys = settingsTable(readFileSync(designPath ?? '', 'utf8')).flatMap((c) =>
        [...(c[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '').filter((k) => SETTING_KEY.test(k)),
      );
      expect(designKeys.length).toBeGreaterThan(20);
      const documented = new Set(keys(readmeRows));
      expect(designKeys.filter((k) => !documented.has(k))).toEqual([]);
    },
  );
});
