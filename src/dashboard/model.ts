// The dashboard's rules, without the DOM: what a runs table row says, how a run's steps lie on its
// timeline, which series are its loss curves, what a run's training cost is estimated at. Pure, so
// test/dashboard/model.test.ts checks it in Node; src/dashboard/main.ts draws what it returns.
import type { MetricHistoryWire, RunWire, StepWire } from './wire.js';

export const RUN_STATUSES = [
  'Running',
  'Succeeded',
  'NotDeployed',
  'RolledBack',
  'Failed',
  'Canceled',
] as const;

/**
 * Pay-as-you-go list prices in USD per instance-hour (East US, Linux, rounded): the same estimate
 * as src/runs/teardown.ts HOURLY_PRICE_ESTIMATE_USD (test/dashboard/model.test.ts holds them equal).
 */
export const HOURLY_PRICE_USD: Readonly<Record<string, number>> = {
  standard_ds3_v2: 0.29,
  standard_f8s_v2: 0.34,
  standard_nc6s_v3: 3.06,
  standard_nc12s_v3: 6.12,
  standard_nc24s_v3: 12.24,
  standard_nc24rs_v3: 13.46,
  standard_nc24ads_a100_v4: 3.67,
  standard_nc48ads_a100_v4: 7.35,
  standard_nc96ads_a100_v4: 14.69,
  standard_nd96asr_v4: 27.2,
};

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/** "850 ms", "42 s", "3 min 5 s", "2 h 4 min". */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.max(0, Math.round(milliseconds))} ms`;
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "2026-12-02 01:02:03 UTC": one format whatever the browser's locale, so rows line up. */
export function formatTime(iso: string | undefined): string {
  const t = ms(iso);
  if (t === undefined) return '';
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatUsd(usd: number | undefined): string {
  if (usd === undefined) return '';
  return usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`;
}

/** When the run's first step started. */
export function runStartedAt(run: RunWire): string | undefined {
  const starts = run.steps.map((s) => s.startedAt).filter((t) => ms(t) !== undefined) as string[];
  return starts.sort()[0];
}

/** From the first step's start to the last step's end (to `now` while it runs). */
export function runDurationMs(run: RunWire, now: number): number | undefined {
  const start = ms(runStartedAt(run));
  if (start === undefined) return undefined;
  if (run.status === 'Running') return now - start;
  const ends = run.steps.map((s) => ms(s.endedAt)).filter((t) => t !== undefined);
  return ends.length === 0 ? undefined : Math.max(...ends) - start;
}

/** The run's line, or the dataset's name when the view has none (`incoming/<name>/...`, `incoming/<name>.jsonl`). */
export function lineOfRun(run: RunWire): string {
  if (run.line !== undefined) return run.line;
  const rest = run.dataset.path.replace(/^incoming\//, '');
  return rest.includes('/') ? (rest.split('/')[0] ?? '') : rest.replace(/\.[^.]*$/, '');
}

/** `<name>:<version>` of the fine-tuned model, else `<base name>:<version> (base)`. */
export function modelLabel(run: RunWire): string {
  const m = run.model;
  if (m?.name !== undefined && m.version !== undefined) return `${m.name}:${m.version}`;
  if (m?.base !== undefined) return `${m.base.name}:${m.base.version} (base)`;
  return '';
}

/** What checkCompute reported (`<cluster>: <vm size>, <gpus> GPUs x <nodes> nodes`, src/orchestration/fineTuneRun.ts). */
export function computeOf(run: RunWire): { vmSize: string; nodes: number } | undefined {
  const detail = run.steps.find((s) => s.id === 'checkCompute')?.detail;
  const match = detail === undefined ? null : /: (\S+), \d+ GPUs x (\d+) nodes?$/.exec(detail);
  if (match === null) return undefined;
  return { vmSize: match[1] ?? '', nodes: Number(match[2]) };
}

/**
 * The training's estimated compute cost: the train step's hours x nodes x the VM size's list
 * price. Undefined when the size has no price on record or the job has not started.
 */
export function estimatedCostUsd(run: RunWire, now: number): number | undefined {
  const compute = computeOf(run);
  const price = compute === undefined ? undefined : HOURLY_PRICE_USD[compute.vmSize.toLowerCase()];
  const train = run.steps.find((s) => s.id === 'train');
  const start = ms(train?.startedAt);
  if (compute === undefined || price === undefined || start === undefined) return undefined;
  const end = ms(train?.endedAt) ?? (train?.status === 'running' ? now : undefined);
  if (end === undefined) return undefined;
  return ((end - start) / 3_600_000) * compute.nodes * price;
}

export interface RunFilter {
  readonly status?: string;
  readonly line?: string;
}

/** The filter applied in the page too: an API without the list filters returns every run. */
export function filterRuns(runs: readonly RunWire[], filter: RunFilter): RunWire[] {
  return runs.filter(
    (run) =>
      (filter.status === undefined || filter.status === '' || run.status === filter.status) &&
      (filter.line === undefined || filter.line === '' || lineOfRun(run) === filter.line),
  );
}

export interface RunRow {
  readonly runId: string;
  readonly status: string;
  readonly line: string;
  readonly dataset: string;
  readonly started: string;
  readonly duration: string;
  readonly model: string;
  readonly cost: string;
}

export function runRow(run: RunWire, now: number): RunRow {
  const duration = runDurationMs(run, now);
  return {
    runId: run.runId,
    status: run.status,
    line: lineOfRun(run),
    dataset: run.dataset.path,
    started: formatTime(runStartedAt(run)),
    duration: duration === undefined ? '' : formatDuration(duration),
    model: modelLabel(run),
    cost: formatUsd(estimatedCostUsd(run, now)),
  };
}

export interface TimelineBar {
  readonly id: string;
  readonly status: StepWire['status'];
  /** Percent of the run's span from its start; 0 and width 0 for a step that never ran. */
  readonly left: number;
  readonly width: number;
  readonly label: string;
}

/**
 * One bar per step of the view, placed on the run's span (first start to last end, or `now`).
 * A step that never ran (pending, skipped) gets a bar of width 0 at the left, so each step has its row.
 */
export function timelineBars(run: RunWire, now: number): TimelineBar[] {
  const starts = run.steps.map((s) => ms(s.startedAt)).filter((t) => t !== undefined);
  const ends = run.steps.map((s) => ms(s.endedAt) ?? (s.status === 'running' ? now : ms(s.startedAt)));
  const from = starts.length === 0 ? now : Math.min(...starts);
  const to = Math.max(from + 1, ...ends.filter((t) => t !== undefined));
  const span = to - from;
  return run.steps.map((step, i) => {
    const start = ms(step.startedAt);
    const end = ends[i];
    if (start === undefined || end === undefined) {
      return { id: step.id, status: step.status, left: 0, width: 0, label: step.status };
    }
    const left = ((start - from) / span) * 100;
    return {
      id: step.id,
      status: step.status,
      left,
      width: Math.min(100 - left, ((end - start) / span) * 100),
      label: `${step.status}, ${formatDuration(end - start)}`,
    };
  });
}

export interface LossSeries {
  readonly label: string;
  /** The history key it comes from (`<child run>/<metric>`). */
  readonly key: string;
  readonly points: readonly { readonly step: number; readonly value: number }[];
}

/** The curves to draw: training loss (`.../loss`) and evaluation loss (`.../eval_loss`), in that order. */
export function lossSeries(history: MetricHistoryWire): LossSeries[] {
  const pick = (metric: string, label: string): LossSeries[] =>
    Object.entries(history.series)
      .filter(([key, points]) => (key === metric || key.endsWith(`/${metric}`)) && points.length > 0)
      .map(([key, points]) => ({ key, label, points }));
  return [...pick('loss', 'training loss'), ...pick('eval_loss', 'evaluation loss')];
}

/**
 * uPlot's data: the union of the series' steps as x, one y array per series with null where a
 * series has no value at that step (evaluation runs less often than training logs).
 */
export function alignedData(series: readonly LossSeries[]): [number[], ...(number | null)[][]] {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  const ys = series.map((s) => {
    const byStep = new Map(s.points.map((p) => [p.step, p.value]));
    return steps.map((step) => byStep.get(step) ?? null);
  });
  return [steps, ...ys];
}

/** The smoke test's question: the last user message of the conversation it sent. */
export function smokeQuestion(input: unknown): string {
  const messages = Array.isArray(input)
    ? input
    : typeof input === 'object' && input !== null && Array.isArray((input as { messages?: unknown }).messages)
      ? (input as { messages: unknown[] }).messages
      : undefined;
  if (messages === undefined) return typeof input === 'string' ? input : JSON.stringify(input);
  const users = messages.filter(
    (m): m is { role: string; content: string } =>
      typeof m === 'object' &&
      m !== null &&
      (m as { role?: unknown }).role === 'user' &&
      typeof (m as { content?: unknown }).content === 'string',
  );
  return users.at(-1)?.content ?? JSON.stringify(input);
}

/** Parses the page's hash: `#/runs?status=Failed&line=chat`, `#/runs/<id>`, `#/lines`. */
export type Route =
  | { readonly view: 'runs'; readonly filter: RunFilter }
  | { readonly view: 'run'; readonly runId: string }
  | { readonly view: 'lines' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] === 'lines') return { view: 'lines' };
  if (segments[0] === 'runs' && segments[1] !== undefined) {
    return { view: 'run', runId: decodeURIComponent(segments[1]) };
  }
  const params = new URLSearchParams(query);
  const filter: { status?: string; line?: string } = {};
  const status = params.get('status');
  const line = params.get('line');
  if (status !== null && status !== '') filter.status = status;
  if (line !== null && line !== '') filter.line = line;
  return { view: 'runs', filter };
}

export function runsHash(filter: RunFilter): string {
  const params = new URLSearchParams();
  if (filter.status !== undefined && filter.status !== '') params.set('status', filter.status);
  if (filter.line !== undefined && filter.line !== '') params.set('line', filter.line);
  const query = params.toString();
  return `#/runs${query === '' ? '' : `?${query}`}`;
}

/** A run error's findings as lines (`line 4: DATASET.INVALID_ROLE: ...`), at most `max`. */
export function errorFindings(details: unknown, max = 10): string[] {
  if (!Array.isArray(details)) return [];
  return details.slice(0, max).flatMap((d: unknown) => {
    if (typeof d !== 'object' || d === null) return [];
    const { line, code, message } = d as { line?: unknown; code?: unknown; message?: unknown };
    if (typeof message !== 'string') return [];
    const where = typeof line === 'number' ? `line ${line}: ` : '';
    return [`${where}${typeof code === 'string' ? `${code}: ` : ''}${message}`];
  });
}
