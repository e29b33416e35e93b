// The dashboard page (docs/dashboard.md): hash routes #/runs, #/runs/<id>, #/lines, drawn with the
// DOM API only (textContent, never innerHTML: run errors and dataset names are untrusted text).
// The function key is asked once and kept in sessionStorage (this tab, until it closes); it is
// sent in x-functions-key to the API beside this page (/api/), never put in a URL.
import { Api, ApiError } from './api.js';
import { drawLossChart } from './chart.js';
import {
  filterRuns,
  formatDuration,
  formatTime,
  formatUsd,
  lineOfRun,
  lossSeries,
  parseRoute,
  RUN_STATUSES,
  runDurationMs,
  runRow,
  runsHash,
  smokeQuestion,
  timelineBars,
  errorFindings,
  estimatedCostUsd,
  modelLabel,
  runStartedAt,
  type RunFilter,
} from './model.js';
import type { LineWire, MetricHistoryWire, RunWire } from './wire.js';

const KEY_STORAGE = 'finetune-autopilot.functionKey';
/** A running run's page refreshes itself this often. */
const REFRESH_MS = 5000;
const API_BASE = new URL('./', window.location.href).href;

type Child = Node | string | undefined | false;

/** An element with a class (or none) and children; strings become text nodes. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/** Appends the children that are there (a `cond && el(...)` that is false is left out). */
function add(parent: HTMLElement, ...children: Child[]): void {
  for (const child of children) if (child !== undefined && child !== false) parent.append(child);
}

const view = document.getElementById('view') as HTMLElement;
let teardown: (() => void)[] = [];
let renderToken = 0;

function clear(): void {
  for (const stop of teardown) stop();
  teardown = [];
  view.replaceChildren();
}

const storedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE);

function showKeyForm(message?: string): void {
  clear();
  const input = el('input', {
    attrs: { id: 'key', type: 'password', autocomplete: 'off', required: '', 'aria-label': 'Function key' },
  });
  const form = el(
    'form',
    { class: 'key-form', attrs: { id: 'key-form' } },
    el('h2', {}, 'Function key'),
    el(
      'p',
      {},
      "The dashboard reads the app's HTTP API with a function key (Azure portal: the Function App, App keys; locally: the functionKey line of npm start). It is kept for this browser tab only.",
    ),
    message !== undefined && el('p', { class: 'error' }, message),
    input,
    el('button', { attrs: { type: 'submit' } }, 'Open'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    sessionStorage.setItem(KEY_STORAGE, key);
    void render();
  });
  add(view, form);
  input.focus();
}

function statusBadge(status: string): HTMLElement {
  return el('span', { class: `badge status-${status}` }, status);
}

function facts(rows: [string, Child][]): HTMLElement {
  return el(
    'dl',
    { class: 'facts' },
    ...rows.flatMap(([term, value]) =>
      value === undefined || value === '' || value === false ? [] : [el('dt', {}, term), el('dd', {}, value)],
    ),
  );
}

// ---- runs --------------------------------------------------------------------------------------

async function renderRuns(api: Api, filter: RunFilter, token: number): Promise<void> {
  const runs = filterRuns(await api.listRuns(filter), filter);
  if (token !== renderToken) return;
  clear();
  const status = el(
    'select',
    { attrs: { id: 'filter-status', 'aria-label': 'Status' } },
    el('option', { attrs: { value: '' } }, 'any status'),
    ...RUN_STATUSES.map((s) => {
      const option = el('option', { attrs: { value: s } }, s);
      option.selected = filter.status === s;
      return option;
    }),
  );
  const line = el('input', {
    attrs: {
      id: 'filter-line',
      type: 'search',
      placeholder: 'line',
      'aria-label': 'Line',
      value: filter.line ?? '',
    },
  });
  const form = el(
    'form',
    { class: 'filters', attrs: { id: 'filters' } },
    status,
    line,
    el('button', {}, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    window.location.hash = runsHash({ status: status.value, line: line.value.trim() });
  });
  status.addEventListener('change', () => form.requestSubmit());

  const now = Date.now();
  const header = ['Run', 'Status', 'Line', 'Dataset', 'Started', 'Duration', 'Model', 'Est. cost'];
  const table = el(
    'table',
    { class: 'runs', attrs: { id: 'runs-table' } },
    el('thead', {}, el('tr', {}, ...header.map((h) => el('th', { attrs: { scope: 'col' } }, h)))),
    el(
      'tbody',
      {},
      ...runs.map((run) => {
        const row = runRow(run, now);
        return el(
          'tr',
          { attrs: { 'data-run-id': row.runId } },
          el('td', {}, el('a', { attrs: { href: `#/runs/${encodeURIComponent(row.runId)}` } }, row.runId)),
          el('td', {}, statusBadge(row.status)),
          el('td', {}, row.line),
          el('td', { class: 'path' }, row.dataset),
          el('td', {}, row.started),
          el('td', {}, row.duration),
          el('td', {}, row.model),
          el('td', { class: 'num' }, row.cost),
        );
      }),
    ),
  );
  add(
    view,
    el('h2', {}, 'Runs'),
    form,
    runs.length === 0
      ? el(
          'p',
          { class: 'empty' },
          'No runs match. A run starts when a dataset lands under incoming/ in the training container.',
        )
      : el('div', { class: 'table-wrap' }, table),
  );
}

// ---- a run -------------------------------------------------------------------------------------

function timeline(run: RunWire, now: number): HTMLElement {
  const bars = timelineBars(run, now);
  return el(
    'div',
    { class: 'timeline', attrs: { id: 'timeline' } },
    ...bars.map((bar) => {
      const shape = el('div', {
        class: `bar status-${bar.status}`,
        attrs: { 'data-step': bar.id, title: `${bar.id}: ${bar.label}` },
      });
      shape.style.left = `${bar.left}%`;
      shape.style.width = `${bar.width}%`;
      const failed = bar.status === 'failed' && run.error?.step === bar.id ? run.error : undefined;
      return el(
        'div',
        { class: `timeline-row${failed === undefined ? '' : ' failed'}` },
        el('span', { class: 'step-name' }, bar.id),
        el('div', { class: 'track' }, shape),
        el('span', { class: 'step-label' }, bar.label),
        failed !== undefined && el('p', { class: 'step-error error' }, `${failed.code}: ${failed.message}`),
        failed !== undefined &&
          errorFindings(failed.details).length > 0 &&
          el(
            'ul',
            { class: 'step-error findings' },
            ...errorFindings(failed.details).map((finding) => el('li', {}, finding)),
          ),
      );
    }),
  );
}

function lossSection(history: MetricHistoryWire | undefined, historyError: string | undefined): HTMLElement {
  const section = el('section', { class: 'chart-section' }, el('h3', {}, 'Loss'));
  if (history === undefined) {
    add(section, el('p', { class: 'empty' }, `Loss history unavailable: ${historyError ?? 'no answer'}`));
    return section;
  }
  const series = lossSeries(history);
  if (series.length === 0) {
    add(section, el('p', { class: 'empty', attrs: { id: 'loss-empty' } }, 'No loss values logged yet.'));
    return section;
  }
  const host = el('div', { class: 'chart', attrs: { id: 'loss-chart' } });
  add(section, host);
  // drawn once the section is in the page, so the chart takes its width
  requestAnimationFrame(() => teardown.push(drawLossChart(host, series)));
  return section;
}

async function renderRun(api: Api, runId: string, token: number): Promise<void> {
  const run = await api.run(runId);
  let history: MetricHistoryWire | undefined;
  let historyError: string | undefined;
  try {
    history = await api.history(runId);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    historyError = error instanceof Error ? error.message : 'unknown error';
  }
  if (token !== renderToken) return;
  clear();
  const now = Date.now();
  const duration = runDurationMs(run, now);
  const studio =
    history?.studioUrl !== undefined && /^https:\/\//.test(history.studioUrl)
      ? el(
          'a',
          {
            attrs: {
              href: history.studioUrl,
              target: '_blank',
              rel: 'noopener noreferrer',
              id: 'studio-link',
            },
          },
          `${run.jobName ?? 'job'} in Azure ML studio`,
        )
      : run.jobName;
  const metricRows = Object.entries(run.metrics ?? {}).sort(([a], [b]) => a.localeCompare(b));
  add(
    view,
    el('p', {}, el('a', { attrs: { href: '#/runs' } }, '< runs')),
    el('h2', {}, `${run.runId} `, statusBadge(run.status)),
    facts([
      ['Line', lineOfRun(run)],
      ['Dataset', run.dataset.path],
      ['Started', formatTime(runStartedAt(run))],
      ['Duration', duration === undefined ? undefined : formatDuration(duration)],
      ['Model', modelLabel(run)],
      ['Endpoint', run.endpoint?.name],
      ['Azure ML job', studio],
      ['Est. training cost', formatUsd(estimatedCostUsd(run, now))],
    ]),
    run.error !== undefined &&
      el(
        'p',
        { class: 'error run-error', attrs: { id: 'run-error' } },
        `${run.error.step} failed: ${run.error.code}: ${run.error.message}`,
      ),
    el('h3', {}, 'Steps'),
    timeline(run, now),
    lossSection(history, historyError),
    run.smokeTest !== undefined &&
      el(
        'section',
        { class: 'smoke', attrs: { id: 'smoke-test' } },
        el('h3', {}, 'Smoke test'),
        el('p', { class: 'question' }, el('strong', {}, 'Q: '), smokeQuestion(run.smokeTest.input)),
        el('p', { class: 'answer' }, el('strong', {}, 'A: '), run.smokeTest.answer),
      ),
    metricRows.length > 0 &&
      el(
        'section',
        {},
        el('h3', {}, 'Final metrics'),
        el(
          'div',
          { class: 'table-wrap' },
          el(
            'table',
            { class: 'metrics' },
            el(
              'tbody',
              {},
              ...metricRows.map(([k, v]) =>
                el('tr', {}, el('th', {}, k), el('td', { class: 'num' }, `${v}`)),
              ),
            ),
          ),
        ),
      ),
  );
  if (run.status === 'Running') {
    const timer = window.setTimeout(() => void render(), REFRESH_MS);
    teardown.push(() => window.clearTimeout(timer));
  }
}

// ---- lines -------------------------------------------------------------------------------------

function modelText(model: LineWire['champion']): string | undefined {
  return model === undefined
    ? undefined
    : `${model.label} (deployment ${model.deployment}, run ${model.runId})`;
}

function lineCard(line: LineWire): HTMLElement {
  const traffic = Object.entries(line.traffic)
    .map(([deployment, percent]) => `${deployment}: ${percent}%`)
    .join(', ');
  return el(
    'article',
    { class: 'line', attrs: { 'data-line': line.line } },
    el(
      'h3',
      {},
      `${line.line} `,
      el('span', { class: `badge state-${line.state}`, attrs: { 'data-state': line.state } }, line.state),
    ),
    facts([
      ['Endpoint', line.endpoint.name],
      ['Traffic', traffic === '' ? 'none' : traffic],
      ['Champion', modelText(line.champion)],
      ['Challenger', modelText(line.challenger)],
      ['Last request', formatTime(line.lastRequestAt)],
      ['Parked since', formatTime(line.parkedSince)],
      ['Est. saved', formatUsd(line.estimatedSavedUsd)],
    ]),
    line.history.length > 0 &&
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'history' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...['When', 'Action', 'Run', 'Reason'].map((h) => el('th', { attrs: { scope: 'col' } }, h)),
            ),
          ),
          el(
            'tbody',
            {},
            ...[...line.history]
              .reverse()
              .map((entry) =>
                el(
                  'tr',
                  {},
                  el('td', {}, formatTime(entry.at)),
                  el('td', {}, entry.action),
                  el(
                    'td',
                    {},
                    entry.runId === undefined
                      ? ''
                      : el(
                          'a',
                          { attrs: { href: `#/runs/${encodeURIComponent(entry.runId)}` } },
                          entry.runId,
                        ),
                  ),
                  el('td', {}, entry.reason),
                ),
              ),
          ),
        ),
      ),
  );
}

async function renderLines(api: Api, token: number): Promise<void> {
  const lines = await api.lines();
  if (token !== renderToken) return;
  clear();
  add(
    view,
    el('h2', {}, 'Lines'),
    lines === undefined || lines.length === 0
      ? el(
          'p',
          { class: 'empty', attrs: { id: 'lines-empty' } },
          'No lines yet: a line appears when its first model is deployed.',
        )
      : el('div', { class: 'lines', attrs: { id: 'lines' } }, ...lines.map(lineCard)),
  );
}

// ---- routing -----------------------------------------------------------------------------------

async function render(): Promise<void> {
  const token = ++renderToken;
  const key = storedKey();
  document.getElementById('sign-out')?.toggleAttribute('hidden', key === null);
  if (key === null) return showKeyForm();
  const api = new Api(API_BASE, key, (url, init) => fetch(url, { ...init, credentials: 'same-origin' }));
  const route = parseRoute(window.location.hash);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    link.classList.toggle('active', link.dataset.view === (route.view === 'run' ? 'runs' : route.view));
  }
  view.setAttribute('aria-busy', 'true');
  try {
    if (route.view === 'runs') await renderRuns(api, route.filter, token);
    else if (route.view === 'run') await renderRun(api, route.runId, token);
    else await renderLines(api, token);
  } catch (error) {
    if (token !== renderToken) return;
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      return showKeyForm('That key was refused (401). Enter a function key of this app.');
    }
    clear();
    add(
      view,
      el(
        'p',
        { class: 'error', attrs: { id: 'load-error' } },
        error instanceof Error ? error.message : 'the page could not load',
      ),
    );
  } finally {
    if (token === renderToken) view.setAttribute('aria-busy', 'false');
  }
}

document.getElementById('sign-out')?.addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORAGE);
  void render();
});
window.addEventListener('hashchange', () => void render());
void render();
