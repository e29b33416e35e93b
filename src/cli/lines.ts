// `autopilot lines list|show|wake|park|delete`: the serving lines over the HTTP API (docs/lines.md):
// one managed online endpoint per dataset name, its champion and traffic, parked when idle and
// woken on demand. Same conventions as `runs` (src/cli/runs.ts): tables, `--json`, exit 0/1/2.
import type { LineModel, LineView } from '../domain/line.js';
import { ExitCode, UsageError, parseCommandLine, type CliIo } from './args.js';
import { ApiClient, reportApiFailure } from './apiClient.js';
import { connectionOptions, resolveApiTarget, type ConnectionFlags } from './connection.js';
import { orDash, table, timeText } from './format.js';

const PROGRAM = 'autopilot lines';
const USAGE = [
  'usage: autopilot lines <command> [options]',
  '  list [--json]                  every line: state, endpoint, champion, traffic, last request',
  '  show <line> [--json]           one line, with its history (rollouts, parks, wakes)',
  '  wake <line> [--json]           deploy the champion again on a parked line',
  "  park <line> [--json]           delete the line's deployments, keep its endpoint (nothing billed)",
  '  delete <line> --yes [--json]   delete the line: its deployments and its endpoint',
  'connection: --url URL --key KEY (or AUTOPILOT_URL, AUTOPILOT_KEY), else the local stack found in --state-dir DIR (AUTOPILOT_STATE_DIR, default <package>/.autopilot)',
].join('\n');

const common = {
  ...connectionOptions,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** wake and park answer the line view, with a `note` when there was nothing to do (200). */
type ActionAnswer = LineView & { readonly note?: string };

type Sub = (args: readonly string[], io: CliIo) => Promise<number>;

const subcommands: Readonly<Record<string, Sub>> = {
  list,
  show,
  wake: (args, io) => action('wake', args, io),
  park: (args, io) => action('park', args, io),
  delete: remove,
};

export async function lines(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (sub === undefined) throw new UsageError(`unknown command '${name}'\n${USAGE}`);
  return sub(rest, io);
}

export default lines;

const client = (flags: ConnectionFlags): ApiClient => new ApiClient(resolveApiTarget(flags));
const linePath = (line: string): string => `/api/lines/${encodeURIComponent(line)}`;

function oneLine(positionals: readonly string[]): string {
  if (positionals.length !== 1 || positionals[0] === undefined || positionals[0] === '') {
    throw new UsageError(
      `${positionals.length === 0 ? 'expected a line' : `expected one line, got ${positionals.length}`}\n${USAGE}`,
    );
  }
  return positionals[0];
}

function help(io: CliIo): number {
  io.stdout.write(`${USAGE}\n`);
  return ExitCode.ok;
}

const modelText = (m: LineModel | undefined): string =>
  m === undefined ? '-' : `${m.label} (${m.deployment})`;

function trafficText(traffic: LineView['traffic']): string {
  const entries = Object.entries(traffic);
  return entries.length === 0 ? '-' : entries.map(([d, p]) => `${d}=${p}%`).join(' ');
}

const savedText = (usd: number | undefined): string => (usd === undefined ? '-' : `$${usd.toFixed(2)}`);

async function list(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, common);
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  let found: LineView[];
  try {
    found = (await client(values).call<{ lines: LineView[] }>('GET', '/api/lines')).body.lines;
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ lines: found })}\n`);
    return ExitCode.ok;
  }
  if (found.length === 0) {
    io.stdout.write('no lines (a line is made by the first run of a dataset name that deploys)\n');
    return ExitCode.ok;
  }
  io.stdout.write(
    table(
      ['LINE', 'STATE', 'ENDPOINT', 'CHAMPION', 'TRAFFIC', 'LAST REQUEST', 'PARKED SINCE', 'SAVED'],
      found.map((l) => [
        l.line,
        l.state,
        l.endpoint.name,
        modelText(l.champion),
        trafficText(l.traffic),
        timeText(l.lastRequestAt),
        timeText(l.parkedSince),
        savedText(l.estimatedSavedUsd),
      ]),
    ),
  );
  return ExitCode.ok;
}

/** A line as people read it: state, endpoint, who serves, then what happened to it. */
export function formatLine(view: LineView): string {
  const rows: [string, string][] = [
    ['line', view.line],
    ['state', view.state],
    [
      'endpoint',
      `${view.endpoint.name}${view.endpoint.scoringUri === undefined ? '' : `  ${view.endpoint.scoringUri}`}`,
    ],
    ['champion', modelText(view.champion)],
  ];
  if (view.challenger !== undefined) rows.push(['challenger', modelText(view.challenger)]);
  rows.push(['traffic', trafficText(view.traffic)]);
  rows.push(['last request', timeText(view.lastRequestAt)]);
  if (view.parkedSince !== undefined) rows.push(['parked since', timeText(view.parkedSince)]);
  if (view.estimatedSavedUsd !== undefined)
    rows.push(['saved', `${savedText(view.estimatedSavedUsd)} (estimated, while parked)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
  if (view.history.length === 0) return head;
  return `${head}\n${table(
    ['AT', 'ACTION', 'RUN', 'REASON'],
    view.history.map((h) => [timeText(h.at), h.action, orDash(h.runId), h.reason]),
  )}`;
}

async function show(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, common);
  if (values.help) return help(io);
  const line = oneLine(positionals);
  let view: LineView;
  try {
    view = (await client(values).call<LineView>('GET', linePath(line))).body;
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  io.stdout.write(values.json ? `${JSON.stringify(view)}\n` : formatLine(view));
  return ExitCode.ok;
}

async function action(verb: 'wake' | 'park', args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, common);
  if (values.help) return help(io);
  const line = oneLine(positionals);
  let answer: { status: number; headers: Headers; body: ActionAnswer };
  try {
    answer = await client(values).call<ActionAnswer>('POST', `${linePath(line)}/${verb}`);
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  const view = answer.body;
  if (values.json) {
    io.stdout.write(`${JSON.stringify(view)}\n`);
    return ExitCode.ok;
  }
  if (answer.status !== 202) {
    io.stdout.write(`line ${view.line} is ${view.state}: ${view.note ?? `nothing to ${verb}`}\n`);
    return ExitCode.ok;
  }
  const retryAfter = Number(answer.headers.get('retry-after') ?? '');
  const eta =
    verb === 'wake' && Number.isFinite(retryAfter) && retryAfter > 0
      ? `; serving again in about ${retryAfter} s`
      : '';
  io.stdout.write(
    `${verb} requested for line ${view.line} (now ${view.state})${eta}\nfollow it: autopilot lines show ${view.line}\n`,
  );
  return ExitCode.ok;
}

async function remove(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...common,
    yes: { type: 'boolean', default: false },
  });
  if (values.help) return help(io);
  const line = oneLine(positionals);
  if (!values.yes) {
    throw new UsageError(
      `deleting line '${line}' deletes its endpoint (its scoring URI and keys stop working): pass --yes to do it`,
    );
  }
  let answer: { status: number; body: LineView | undefined };
  try {
    answer = await client(values).call<LineView | undefined>('DELETE', linePath(line));
  } catch (error) {
    return reportApiFailure(io, PROGRAM, values.json, error);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(answer.body ?? { line, deleteRequested: true })}\n`);
  else io.stdout.write(`delete requested for line ${line}: its deployments and endpoint are deleted\n`);
  return ExitCode.ok;
}
