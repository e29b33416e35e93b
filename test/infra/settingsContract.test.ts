// The settings contract: the settings table in docs/settings.md is the single list of settings.
// The Function App's app settings in infra/main.json are its "in Azure" column,
// local.settings.sample.json its "local value" column, src/config.ts reads exactly its keys (bar
// host and binding ones), and no other page of docs/ (or the README) names a setting it lacks.
// Every check reads files of this repository: a missing table fails the file, nothing is skipped.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { evaluateString } from './armExpression.js';

const repo = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, repo), 'utf8');

const NOT_SET = /^(-|not set\b)/i;
const MARKED = /\((host only|binding)\)/;
const SETTING_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a setting looks like when a page names one in backticks: UPPER_SNAKE or AzureWebJobs*. */
const NAMED_SETTING = /^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|AzureWebJobs[A-Za-z]+(?:__[A-Za-z]+)?)$/;
const SETTINGS_DOC = 'docs/settings.md';
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
  if (!match?.[1]) throw new Error(`${SETTINGS_DOC} has no section '${name}'`);
  return match[1];
}

const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');
/** The leading `literal` of a cell, if the cell starts with one. */
const literal = (cell: string): string | undefined => /^`([^`]*)`/.exec(cell)?.[1];

const tableRows: Row[] = settingsTable(section(read(SETTINGS_DOC), 'settings')).map((c) => ({
  name: unquote(c[0] ?? ''),
  meaning: c[1] ?? '',
  local: c[2] ?? '',
  azure: c[3] ?? '',
}));
const keys = (rows: readonly Row[]): string[] => rows.map((r) => r.name).sort();
const azureRows = tableRows.filter((r) => !NOT_SET.test(r.azure));
const localRows = tableRows.filter((r) => r.local !== '-');

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

describe('the settings table (docs/settings.md)', () => {
  it('has one row per setting key', () => {
    expect(tableRows.length).toBeGreaterThan(0);
    expect(tableRows.filter((r) => !SETTING_KEY.test(r.name)).map((r) => r.name)).toEqual([]);
    expect(new Set(keys(tableRows)).size).toBe(tableRows.length);
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
    for (const row of tableRows) {
      const local = literal(row.local);
      if (local !== undefined && sample.Values[row.name] !== local) {
        mismatches.push(`${row.name} local: table '${local}', sample '${sample.Values[row.name]}'`);
      }
      const azure = literal(row.azure);
      const setting = appSettings.find((s) => s.name === row.name);
      if (azure !== undefined && setting !== undefined) {
        const value = evaluateString(setting.value, scope);
        if (value !== azure)
          mismatches.push(`${row.name} in Azure: table '${azure}', template '${JSON.stringify(value)}'`);
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
    const documented = new Set(keys(tableRows));
    expect(configKeys.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('sets no key that neither config.ts nor the host or a binding reads', () => {
    const unused = tableRows.filter((r) => !configKeys.includes(r.name) && !MARKED.test(r.meaning));
    expect(unused.map((r) => r.name)).toEqual([]);
  });
});

/** The other pages that describe the app: the README and every docs/ page but the table's own. */
const otherPages: string[] = [
  'README.md',
  ...readdirSync(new URL('docs/', repo))
    .filter((f) => f.endsWith('.md') && `docs/${f}` !== SETTINGS_DOC)
    .map((f) => `docs/${f}`),
].sort();

/** Setting names a page mentions: `KEY` in backticks, alone. */
function namedSettings(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '').filter((k) => NAMED_SETTING.test(k));
}

describe('settings named elsewhere in the docs', () => {
  it('the table is there: more than 20 settings', () => {
    expect(tableRows.length).toBeGreaterThan(20);
  });

  it('finds the pages and the settings they name', () => {
    expect(otherPages).toContain('README.md');
    expect(otherPages).toContain('docs/architecture.md');
    expect(new Set(otherPages.flatMap((p) => namedSettings(read(p)))).size).toBeGreaterThan(20);
  });

  it('names only keys the table has', () => {
    const documented = new Set(keys(tableRows));
    const unknown = otherPages.flatMap((page) =>
      namedSettings(read(page))
        .filter((k) => !documented.has(k))
        .map((k) => `${page}: ${k}`),
    );
    expect([...new Set(unknown)]).toEqual([]);
  });
});
