// `autopilot runs list|show|watch|start|cancel`: the runs of the running system over its HTTP API
// (docs/contracts.md "HTTP API"). Human tables by default, `--json` one JSON object on stdout;
// exit 0 ok, 1 the input is wrong (an unknown run, a bad body) or the watched run did not
// succeed, 2 usage, a refused key or no answer.
import type { ErrorCode } from '../domain/errorCodes.js';
import { isRunId } from '../domain/runId.js';
import type { RunStatus, RunView, StepView } from '../domain/runView.js';
import { ExitCode, UsageError, integerOption, parseCommandLine, type CliIo } from './args.js';
import { ApiClient, ApiError, ApiUnreachable, reportApiFailure } from './apiClient.js';
import { connectionOptions, resolveApiTarget, type ConnectionFlags } from './connection.js';
import { between, durationText, orDash, table, timeText } from './format.js';
import { readOverridesFile, reportProblem } from './overrides.js';

const PROGRAM = 'autopilot runs';
const WATCH_TIMEOUT: ErrorCode = 'CLI.WATCH_TIMEOUT';
const CONNECTION_USAGE =
  'connection: --url URL --key KEY (or AUTOPILOT_URL, AUTOPILOT_KEY), else the local stack found in --state-dir DIR (AUTOPILOT_STATE_DIR, default <package>/.autopilot)';
const USAGE = [
  'usage: autopilot runs <command> [options]',
  '  list [--status S] [--line L] [--top N] [--json]   runs, newest first (default 20)',
  '  show <run id> [--json]                            one run: steps, model, endpoint, error',
  '  watch <run id> [--interval S] [--timeout S] [--json]',
  '                                                    follow a run to its end; exit 0 only if it Succeeded',
  '  start --dataset <blob path> [--overrides <json file>] [--force] [--json]',
  '                                                    start (or find) the run of a dataset already uploaded',
  '  cancel <run id> [--json]                          cancel a running run (its job, and what it created)',
  CONNECTION_USAGE,
].join('\n');

/** GET /api/runs pages hold at most this many (src/http/runsApi.ts MAX_PAGE_SIZE). */
const API_PAGE_MAX = 100;
const DEFAULT_TOP = 20;
const MAX_TOP = 1000;
const DEFAULT_INTERVAL_SECONDS = 2;
/** `watch` right after an upload: the storage event may take a while to start the run. */
const START_GRACE_MS = 120_000;
/** Polls that may fail in a row (a host restarting) before watch gives up. */
const MAX_FAILED_POLLS = 5;

const common = {
  ...connectionOptions,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Sub = (args: readonly string[], io: CliIo) => Promise<number>;

const subcommands: Readonly<Record<string, Sub>> = { list, show, watch, start, cancel };

export async function runs(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (sub === undefined) throw new UsageError(`unknown command '${name}'\n${USAGE}`);
  return sub(rest, io);
}

export default runs;

function client(flags: ConnectionFlags): ApiClient {
  return new ApiClient(resolveApiTarget(flags));
}

/** The one run id a command takes; ids are URL path segments, so encoded. */
function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length !== 1 || positionals[0] === undefined || positionals[0] === '') {
    throw new UsageError(
      `${positionals.length === 0 ? `expected a ${what}` : `expected one ${what}, got ${positionals.length}`}\n${USAGE}`,
    );
  }
  return positionals[0];
}

const runPath = (runId: string): string => `/api/runs/${encodeURIComponent(runId)}`;

// ---------------------------------------------------------------------------------------------
// list

async function list(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...common,
    status: { type: 'string' },
    line: { type: 'string' },
    top: { type: 'string' },
  });
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const top = integerOption('top', values.top, DEFAULT_TOP, 1, MAX_TOP);
  const api = client(values);
  const found: ListedRun[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await api.call<{ runs: ListedRun[]; continuationToken?: string }>('GET', '/api/runs', {
        query: {
          top: String(Math.min(API_PAGE_MAX, top - found.length)),
          status: values.status,
          line: values.line,
          continuationToken: token,
        },
      });
      // Also filtered here: an API without the filters would otherwise list every run as if it matched.
      found.push(
        ...page.body.runs.filter(
          (r) =>
            (values.status === undefined || r.status === values.status) &&
            (values.line === undefined || r.line === values.line),
        ),
      );
      token = page.body.continuationToken;
    } while (token !== undefined && found.length < top);
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  const shown = found.slice(0, top);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ runs: shown, ...(token === undefined ? {} : { more: true }) })}\n`);
    return ExitCode.ok;
  }
  if (shown.length === 0) {
    io.stdout.write('no runs\n');
    return ExitCode.ok;
  }
  io.stdout.write(
    table(
      ['RUN', 'STATUS', 'LINE', 'STEP', 'STARTED', 'DURATION', 'MODEL', 'DATASET'],
      shown.map((r) => [
        r.runId,
        r.status,
        orDash(r.line),
        r.status === 'Running' ? r.step : '-',
        timeText(startedAt(r)),
        durationOf(r),
        modelLabel(r),
        r.dataset.path,
      ]),
    ),
  );
  if (token !== undefined) io.stdout.write(`(more runs: --top ${Math.min(MAX_TOP, top * 2)})\n`);
  return ExitCode.ok;
}

/**
 * A listed run: GET /api/runs answers run summaries (src/domain/runIndex.ts: startedAt, endedAt,
 * model as `name:version`, no steps); a full run view is read the same way.
 */
type ListedRun = Pick<RunView, 'runId' | 'status' | 'step' | 'dataset' | 'line'> & {
  readonly steps?: RunView['steps'];
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly model?: string | RunView['model'];
};

const startedAt = (r: ListedRun): string | undefined =>
  r.startedAt ?? r.steps?.find((s) => s.startedAt)?.startedAt;

function endedAt(r: ListedRun): string | undefined {
  if (r.endedAt !== undefined) return r.endedAt;
  const ends = (r.steps ?? []).map((s) => s.endedAt).filter((e): e is string => e !== undefined);
  return ends.sort().at(-1);
}

function durationOf(r: ListedRun): string {
  const ms = between(startedAt(r), r.status === 'Running' ? undefined : endedAt(r));
  return ms === undefined ? '-' : durationText(ms);
}

function modelLabel(r: ListedRun): string {
  const m = r.model;
  if (typeof m === 'string') return m;
  return m?.name !== undefined && m.version !== undefined ? `${m.name}:${m.version}` : '-';
}

// ---------------------------------------------------------------------------------------------
// show

async function show(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, common);
  if (values.help) return help(io);
  const runId = onePositional(positionals, 'run id');
  let view: RunView;
  try {
    view = (await client(values).call<RunView>('GET', runPath(runId))).body;
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  io.stdout.write(values.json ? `${JSON.stringify(view)}\n` : formatRun(view));
  return ExitCode.ok;
}

/** A run as people read it: what it is, what it made, what went wrong, then its steps. */
export function formatRun(view: RunView, now: number = Date.now()): string {
  const rows: [string, string][] = [
    ['run', view.runId],
    ['status', view.status === 'Running' ? `Running (${view.step})` : view.status],
    ['line', orDash(view.line)],
    ['dataset', `${view.dataset.container}/${view.dataset.path} (etag ${view.dataset.etag})`],
  ];
  if (view.jobName !== undefined) rows.push(['job', view.jobName]);
  if (view.component !== undefined) rows.push(['component', `${view.component.id}`]);
  const base = view.model?.base;
  if (base !== undefined) rows.push(['base model', `${base.name}:${base.version}`]);
  if (view.model?.name !== undefined) {
    rows.push(['model', `${modelLabel(view)}${view.model.id === undefined ? '' : `  ${view.model.id}`}`]);
  }
  if (view.endpoint !== undefined)
    rows.push(['endpoint', `${view.endpoint.name}  ${view.endpoint.scoringUri}`]);
  if (view.rollout !== undefined) {
    rows.push(['rollout', `${view.rollout.outcome} (${view.rollout.deployment}): ${view.rollout.reason}`]);
  }
  // The numbers people look at first (as the demo shows them); all of them are in --json.
  const metrics = Object.entries(view.metrics ?? {});
  const losses = metrics.filter(([k]) => /loss|perplexity/i.test(k));
  if (metrics.length > 0) {
    const more = metrics.length - losses.length;
    rows.push([
      'metrics',
      [
        ...losses.map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`),
        ...(more > 0 ? [`(${losses.length === 0 ? '' : '+'}${more} more with --json)`] : []),
      ].join(', '),
    ]);
  }
  if (view.smokeTest !== undefined) {
    rows.push(['smoke test', `asked: ${lastUserTurn(view.smokeTest.input) ?? '(a conversation)'}`]);
    rows.push(['', `answer: ${view.smokeTest.answer}`]);
  }
  if (view.error !== undefined) {
    rows.push(['error', `${view.error.step}: ${view.error.code}: ${view.error.message}`]);
    for (const d of errorDetails(view.error.details)) rows.push(['', `- ${d}`]);
  }
  for (const note of view.notes ?? []) rows.push(['note', `${note.step}: ${note.code}: ${note.message}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
  return `${head}\n${formatSteps(view.steps, now)}`;
}

/** The steps as a timeline table: status, start, how long, what they said. */
export function formatSteps(steps: readonly StepView[], now: number = Date.now()): string {
  return table(
    ['STEP', 'STATUS', 'STARTED', 'TOOK', 'DETAIL'],
    steps.map((s) => {
      const ms = between(s.startedAt, s.endedAt, now);
      return [
        s.id,
        s.status,
        timeText(s.startedAt),
        ms === undefined ? '-' : durationText(ms),
        orDash(s.detail),
      ];
    }),
  );
}

function errorDetails(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.slice(0, 10).map((d: unknown) => {
    const item = (d ?? {}) as { line?: unknown; code?: unknown; message?: unknown };
    const where = typeof item.line === 'number' ? `line ${item.line}: ` : '';
    const code = typeof item.code === 'string' ? `${item.code}: ` : '';
    return `${where}${code}${typeof item.message === 'string' ? item.message : JSON.stringify(d)}`;
  });
}

/** The question the smoke test ended on: its input is the conversation up to the last user turn. */
function lastUserTurn(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  const last = (input as { role?: unknown; content?: unknown }[]).filter((t) => t.role === 'user').at(-1);
  return typeof last?.content === 'string' ? last.content : undefined;
}

// ---------------------------------------------------------------------------------------------
// watch

/** Seconds as a positive decimal (`0.5`, `2`), or a UsageError naming the option. */
function secondsOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min) {
    throw new UsageError(`--${name} must be a number of seconds >= ${min}, got '${raw}'`);
  }
  return value;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The watch's exit code: only a run that Succeeded is 0. */
export function exitCodeOfStatus(status: RunStatus): number {
  return status === 'Succeeded' ? ExitCode.ok : ExitCode.invalidInput;
}

async function watch(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...common,
    interval: { type: 'string' },
    timeout: { type: 'string' },
  });
  if (values.help) return help(io);
  const runId = onePositional(positionals, 'run id');
  // watch waits for a run that does not exist yet: a mistyped id would only wait, so it is refused.
  if (!isRunId(runId)) {
    return reportProblem(io, PROGRAM, values.json, {
      code: 'RUN.NOT_FOUND',
      message: `'${runId.slice(0, 80)}' is not a run id (ft- and 20 hex digits, maybe -r<n>: what upload and runs list print)`,
    });
  }
  const intervalMs = secondsOption('interval', values.interval, DEFAULT_INTERVAL_SECONDS, 0.05) * 1000;
  const timeoutMs = secondsOption('timeout', values.timeout, 0, 0) * 1000;
  const api = client(values);
  const json = values.json;
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  // On a terminal, one status line (current step, elapsed) is redrawn in place under the timeline.
  const tty = io.stdout.isTTY === true && !json;
  let liveShown = false;
  const say = (line: string): void => {
    if (json) return;
    if (liveShown) io.stdout.write('\r\x1b[K');
    liveShown = false;
    io.stdout.write(`${line}\n`);
  };
  const live = (text: string): void => {
    if (!tty) return;
    io.stdout.write(`\r\x1b[K${text}`);
    liveShown = true;
  };
  const clearLive = (): void => {
    if (liveShown) io.stdout.write('\r\x1b[K');
    liveShown = false;
  };
  const seen = new Map<string, string>();
  let announcedWaiting = false;
  let failedPolls = 0;
  for (;;) {
    let view: RunView | undefined;
    try {
      view = (await api.call<RunView>('GET', runPath(runId))).body;
      failedPolls = 0;
    } catch (error) {
      const notYet = error instanceof ApiError && error.code === 'RUN.NOT_FOUND';
      if (notYet && Date.now() - started < START_GRACE_MS) {
        if (!announcedWaiting) say(`[${elapsed()}] no run ${runId} yet: waiting for it to start…`);
        announcedWaiting = true;
      } else if (error instanceof ApiUnreachable && ++failedPolls < MAX_FAILED_POLLS) {
        say(`[${elapsed()}] no answer (${error.message}); trying again`);
      } else {
        clearLive();
        return reportApiFailure(io, PROGRAM, json, error);
      }
    }
    if (view !== undefined) {
      if (!announcedWaiting && seen.size === 0)
        say(`run ${view.runId}  ${view.dataset.container}/${view.dataset.path}`);
      for (const step of view.steps) {
        if (seen.get(step.id) === step.status || step.status === 'pending') continue;
        seen.set(step.id, step.status);
        say(`[${elapsed()}] ${step.id.padEnd(13)} ${step.status.padEnd(9)} ${describeStep(step, view)}`);
      }
      if (view.status !== 'Running') {
        if (json) {
          io.stdout.write(`${JSON.stringify(view)}\n`);
        } else {
          say(`\nrun ${view.runId} ${view.status}${endingOf(view)}`);
        }
        return exitCodeOfStatus(view.status);
      }
      const current = view.steps.find((s) => s.id === view.step);
      live(`[${elapsed()}] ${view.step} ${current?.status ?? ''}…`);
    }
    if (timeoutMs > 0 && Date.now() - started >= timeoutMs) {
      clearLive();
      const message = `run ${runId} still ${view === undefined ? 'not found' : `Running (${view.step})`} after ${timeoutMs / 1000} s; watch it again, or look at it with: autopilot runs show ${runId}`;
      if (json) io.stdout.write(`${JSON.stringify({ error: { code: WATCH_TIMEOUT, message } })}\n`);
      else io.stderr.write(`${PROGRAM}: ${message}\n`);
      return ExitCode.usage;
    }
    await sleep(intervalMs);
  }
}

function describeStep(step: StepView, view: RunView): string {
  if (step.status === 'running') {
    return step.id === 'train' && view.jobName !== undefined
      ? `job ${view.jobName} running on the cluster`
      : '';
  }
  return step.detail ?? '';
}

function endingOf(view: RunView): string {
  if (view.error !== undefined) return `: ${view.error.step}: ${view.error.code}: ${view.error.message}`;
  if (view.status === 'Succeeded' && view.endpoint !== undefined) {
    return `: ${modelLabel(view)} serving on ${view.endpoint.name}`;
  }
  if (view.rollout !== undefined) return `: ${view.rollout.reason}`;
  return '';
}

// ---------------------------------------------------------------------------------------------
// start

async function start(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...common,
    dataset: { type: 'string' },
    overrides: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  if (values.dataset === undefined)
    throw new UsageError(`--dataset is required (a blob path, e.g. incoming/chat/train.jsonl)\n${USAGE}`);
  let overrides: Readonly<Record<string, unknown>> | undefined;
  if (values.overrides !== undefined) {
    const file = await readOverridesFile(values.overrides);
    if ('problem' in file) return reportProblem(io, PROGRAM, values.json, file.problem);
    overrides = file.overrides;
  }
  const api = client(values);
  let answer: { status: number; body: RunView };
  try {
    answer = await api.call<RunView>('POST', '/api/runs', {
      body: {
        dataset: values.dataset,
        ...(overrides === undefined ? {} : { overrides }),
        ...(values.force ? { force: true } : {}),
      },
    });
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  const view = answer.body;
  if (values.json) {
    io.stdout.write(`${JSON.stringify(view)}\n`);
  } else {
    const what =
      answer.status === 202 ? 'started' : `already exists (${view.status}); --force starts another`;
    io.stdout.write(`run ${view.runId} ${what}\nfollow it: autopilot runs watch ${view.runId}\n`);
  }
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------
// cancel

async function cancel(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, common);
  if (values.help) return help(io);
  const runId = onePositional(positionals, 'run id');
  let view: RunView;
  try {
    view = (await client(values).call<RunView>('POST', `${runPath(runId)}/cancel`)).body;
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(view)}\n`);
  else {
    io.stdout.write(
      `cancel requested for run ${view.runId}: its job is cancelled and what it created deleted; it ends Canceled\nfollow it: autopilot runs watch ${view.runId}\n`,
    );
  }
  return ExitCode.ok;
}

function help(io: CliIo): number {
  io.stdout.write(`${USAGE}\n`);
  return ExitCode.ok;
}
