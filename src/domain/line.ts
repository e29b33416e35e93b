// Serving lines (docs/lines.md): a dataset's name is its line, and each line has one managed
// online endpoint whose name, scoring URI and keys stay the same while the line exists. New models
// roll out on it as new deployments; the idle teardown parks it (deployments deleted, endpoint
// kept) and a wake brings the champion back. Pure: names, states and the view's shape.
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from './errors.js';
import { parseDatasetPath } from './blobEvents.js';

/** A line's state, kept by its one durable orchestration (instance `line-<line id>`). */
export const LINE_STATES = ['deploying', 'serving', 'rollingOut', 'parked', 'waking', 'failed'] as const;
export type LineState = (typeof LINE_STATES)[number];

export const LINE_INSTANCE_PREFIX = 'line-';

/** Line ids: lower-case letters, digits and `-`, 1-63 characters, a letter or digit first. */
const LINE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const LINE_ID_MAX = 63;

/** The lower-cased slug of a dataset name: runs of anything but [a-z0-9] become one `-`. */
export function lineIdOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, LINE_ID_MAX)
    .replace(/-+$/g, '');
  return slug === '' ? 'line' : slug;
}

/** The line of a dataset path (`incoming/<name>/train.*` or `incoming/<name>.*`). */
export function lineOfDataset(datasetPath: string): Result<string> {
  const parsed = parseDatasetPath(datasetPath);
  if (!parsed.ok) return parsed;
  return ok(lineIdOf(parsed.value.name));
}

/** A line id as a caller typed it in a URL: checked against the pattern, never slugged (404 otherwise). */
export function isLineId(text: string): boolean {
  return LINE_ID.test(text);
}

export function checkLineId(text: string): Result<string> {
  if (isLineId(text)) return ok(text);
  return fail({
    code: 'LINE.NOT_FOUND',
    message: `no line '${text.length > 80 ? `${text.slice(0, 80)}...` : text}': line ids are lower-case letters, digits and '-' (the dataset's name, slugged)`,
  });
}

export function lineInstanceId(lineId: string): string {
  return LINE_INSTANCE_PREFIX + lineId;
}

/** The ARM id of the workspace: what makes a line's endpoint name unique to it. */
export function workspaceResourceId(w: {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}): string {
  return `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${w.workspace}`;
}

const ENDPOINT_SLUG_CHARS = 20;
const ENDPOINT_HASH_CHARS = 8;

/**
 * The line's endpoint: the first 20 characters of the line id (prefixed `l` when it does not
 * start with a letter) + `-` + 8 hex of sha256(workspace id + line id). Azure's limits: 3-32
 * characters, a letter first, letters, digits and `-`, unique in the region (Microsoft Learn,
 * "Manage and increase quotas and limits for resources with Azure Machine Learning", endpoint name).
 */
export function lineEndpointName(workspaceId: string, lineId: string): string {
  const slug = (/^[a-z]/.test(lineId) ? lineId : `l${lineId}`)
    .slice(0, ENDPOINT_SLUG_CHARS)
    .replace(/-+$/g, '');
  const hash = createHash('sha256')
    .update(`${workspaceId.toLowerCase()}\n${lineId}`)
    .digest('hex')
    .slice(0, ENDPOINT_HASH_CHARS);
  return `${slug}-${hash}`;
}

/** Deployment names: `v` + the model version, letters, digits and `-` only, at most 32 characters. */
export function deploymentNameFor(modelVersion: string): string {
  const cleaned = modelVersion.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const name = `v${cleaned}`.slice(0, 32).replace(/-+$/g, '');
  // at least 3 characters (ARM's rule); `-` never appears in the whole-number versions runs register
  return name.length >= 3 ? name : `${name}-0`;
}

/** A model serving (or about to serve) on a line. */
export interface LineModel {
  /** ARM id of the registered model version. */
  readonly model: string;
  /** `<name>:<version>`, as people read it. */
  readonly label: string;
  readonly deployment: string;
  readonly runId: string;
  /** The run's final training metrics (ROLLOUT_COMPARE=metrics compares a challenger with them). */
  readonly metrics?: Readonly<Record<string, number>>;
}

export type LineAction =
  | 'created'
  | 'rolledOut'
  | 'rolledBack'
  | 'superseded'
  | 'parked'
  | 'woken'
  | 'wakeFailed'
  | 'deleted'
  | 'failed';

export interface LineHistoryEntry {
  readonly at: string;
  readonly action: LineAction;
  readonly runId?: string;
  readonly reason: string;
}

/** What GET /api/lines/{line} shows (docs/contracts.md "Line view"): no keys, no URLs with keys. */
export interface LineView {
  readonly line: string;
  readonly endpoint: { readonly name: string; readonly scoringUri?: string };
  readonly state: LineState;
  readonly champion?: LineModel;
  readonly challenger?: LineModel;
  /** Deployment name -> percent, as the endpoint reports it (empty when parked). */
  readonly traffic: Readonly<Record<string, number>>;
  readonly lastRequestAt?: string;
  readonly parkedSince?: string;
  /** Hourly price of the champion's deployment x hours parked (when a price is known). */
  readonly estimatedSavedUsd?: number;
  /** How long the last deployment took to provision, in seconds (the wake's Retry-After estimate). */
  readonly lastDeploySeconds?: number;
  /** Newest last, at most LINE_HISTORY_MAX entries. */
  readonly history: readonly LineHistoryEntry[];
}

export const LINE_HISTORY_MAX = 50;

export function withHistory(view: LineView, entry: LineHistoryEntry): LineView {
  const history = [...view.history, entry];
  return { ...view, history: history.slice(Math.max(0, history.length - LINE_HISTORY_MAX)) };
}

/** How a run's rollout on its line ended (the run view's `rollout`). */
/**
 * first: the line's first model (or the first after a park) is serving; rolledOut: it replaced the
 * champion; rolledBack: it failed on the way and the champion kept serving; superseded: a newer
 * model for the line arrived before its turn; failed: there was no champion and it did not
 * deploy (the run fails, as a run without a line would).
 */
export type RolloutOutcome = 'first' | 'rolledOut' | 'rolledBack' | 'superseded' | 'failed';

export interface RolloutResult {
  readonly outcome: RolloutOutcome;
  readonly line: string;
  readonly endpoint: { readonly name: string; readonly scoringUri?: string };
  readonly deployment: string;
  /** Why it rolled back or was superseded; what the rollout did otherwise. */
  readonly reason: string;
  readonly smokeTest?: { readonly input: unknown; readonly answer: string };
  /** True when the line deleted its endpoint because the line never served (its first model failed). */
  readonly endpointDeleted?: boolean;
  /** The failure that rolled it back (a run that ends RolledBack carries it). */
  readonly error?: { readonly code: string; readonly message: string; readonly details?: unknown };
}
