// Lifecycle events out (docs/contracts.md "Lifecycle events"): what the app tells subscribers when
// a run ends, a line changes state or the teardown deletes an endpoint, as CloudEvents 1.0 that
// the LifecycleEvents port publishes (src/adapters/lifecycleEvents.ts adds `source`, the Function
// App's resource id). Pure: the id is derived from (subject, type, transition), so a replayed or
// retried publish sends the same id and a subscriber can drop the duplicate; the time comes from
// the view, never from a clock.
import { createHash } from 'node:crypto';
import { Tag } from '../names.js';
import type { TeardownDecision } from './idle.js';
import type { LineHistoryEntry, LineView } from './line.js';
import type { RunStatus, RunView } from './runView.js';

export const EVENT_TYPE_PREFIX = 'finetune-autopilot';

/** Every event type the app publishes, declared once. */
export const LifecycleEventType = {
  runSucceeded: `${EVENT_TYPE_PREFIX}.run.succeeded`,
  runFailed: `${EVENT_TYPE_PREFIX}.run.failed`,
  runCanceled: `${EVENT_TYPE_PREFIX}.run.canceled`,
  runNotDeployed: `${EVENT_TYPE_PREFIX}.run.notDeployed`,
  runRolledBack: `${EVENT_TYPE_PREFIX}.run.rolledBack`,
  lineRolledOut: `${EVENT_TYPE_PREFIX}.line.rolledOut`,
  lineParked: `${EVENT_TYPE_PREFIX}.line.parked`,
  lineWoken: `${EVENT_TYPE_PREFIX}.line.woken`,
  lineDeleted: `${EVENT_TYPE_PREFIX}.line.deleted`,
  teardownDeleted: `${EVENT_TYPE_PREFIX}.teardown.deleted`,
} as const;
export type LifecycleEventType = (typeof LifecycleEventType)[keyof typeof LifecycleEventType];

/** The `source` of events published where no Function App resource id is set (the local stack). */
export const LOCAL_EVENT_SOURCE = 'finetune-autopilot/local';

/**
 * A CloudEvent before publishing: everything but `source` and `specversion` (the publisher's).
 * Plain data: it crosses the durable history as the publishEvents activity's input.
 */
export interface LifecycleEvent {
  readonly id: string;
  readonly type: LifecycleEventType;
  /** `runs/<runId>` or `lines/<line>`. */
  readonly subject: string;
  /** ISO 8601, from the view (when the transition happened). */
  readonly time?: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * A UUID-shaped id from sha256(subject, type, transition): the same transition always gets the
 * same id (CloudEvents: `source` + `id` identify an event), a different one never does.
 */
export function lifecycleEventId(subject: string, type: LifecycleEventType, transition: string): string {
  const hex = createHash('sha256').update(`${subject}\n${type}\n${transition}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Property names whose values are credentials: dropped from any event's data, wherever they are. */
const SECRET_NAMES =
  /^(key|keys|primaryKey|secondaryKey|apiKey|accessKey|functionKey|secret|clientSecret|password|token|accessToken|sasToken|signature|connectionString|authorization)$/i;
/** URL query parameters that carry a credential (function keys, SAS signatures, tokens). */
const SECRET_QUERY = /^(code|sig|key|token|access_token|api-key|x-functions-key)$/i;

/** A URL without the query parameters that carry a credential. */
function withoutSecretQuery(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return link;
  }
  const secrets = [...url.searchParams.keys()].filter((k) => SECRET_QUERY.test(k));
  if (secrets.length === 0) return link;
  for (const k of secrets) url.searchParams.delete(k);
  return url.toString();
}

/** Every URL in a text (a whole value or one inside an error message). */
const URL_IN_TEXT = /https?:\/\/[^\s"'<>]+/gi;

/**
 * The data without credentials: properties named like a key, secret or token are left out, and
 * URLs lose the query parameters that carry one. Defence in depth: the views carry none today.
 */
export function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(URL_IN_TEXT, withoutSecretQuery);
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([name]) => !SECRET_NAMES.test(name))
        .map(([name, inner]) => [name, withoutSecrets(inner)]),
    );
  }
  return value;
}

const RUN_EVENT_TYPES: Readonly<Record<Exclude<RunStatus, 'Running'>, LifecycleEventType>> = {
  Succeeded: LifecycleEventType.runSucceeded,
  Failed: LifecycleEventType.runFailed,
  Canceled: LifecycleEventType.runCanceled,
  NotDeployed: LifecycleEventType.runNotDeployed,
  RolledBack: LifecycleEventType.runRolledBack,
};

/** When the run ended: the latest step end in the view (runEnded and runFailed stamp one). */
export function runEndedAt(view: RunView): string | undefined {
  const ends = view.steps.flatMap((s) => (s.endedAt === undefined ? [] : [s.endedAt]));
  return ends.sort().at(-1);
}

/** Why the run ended the way it did, in one line. */
export function runReason(view: RunView): string {
  switch (view.status) {
    case 'Failed':
      return view.error === undefined
        ? `failed at ${view.step}`
        : `${view.error.code} at ${view.error.step}: ${view.error.message}`;
    case 'Canceled':
      return `canceled at ${view.step}`;
    case 'NotDeployed':
      return view.steps.find((s) => s.id === 'gate')?.detail ?? 'registered, not deployed';
    case 'RolledBack':
      return view.rollout?.reason ?? 'registered; its rollout did not pass, the champion kept serving';
    case 'Succeeded':
      return view.rollout?.reason ?? 'deployed and smoke tested';
    case 'Running':
      return 'running';
  }
}

/**
 * The event of a finished run (none while it runs): type by its status, subject `runs/<runId>`,
 * data the run view (without secrets) and the reason. A run ends once, so its id is
 * (subject, type) alone.
 */
export function runEvents(view: RunView): LifecycleEvent[] {
  if (view.status === 'Running') return [];
  const type = RUN_EVENT_TYPES[view.status];
  const subject = `runs/${view.runId}`;
  const time = runEndedAt(view);
  return [
    {
      id: lifecycleEventId(subject, type, view.status),
      type,
      subject,
      ...(time === undefined ? {} : { time }),
      data: withoutSecrets({ ...view, reason: runReason(view) }) as Record<string, unknown>,
    },
  ];
}

const LINE_EVENT_TYPES: Readonly<Partial<Record<LineHistoryEntry['action'], LifecycleEventType>>> = {
  rolledOut: LifecycleEventType.lineRolledOut,
  parked: LifecycleEventType.lineParked,
  woken: LifecycleEventType.lineWoken,
  deleted: LifecycleEventType.lineDeleted,
};

export interface LineEventOptions {
  /** What the change saves per hour (a park: the champion's deployment price), when known. */
  readonly estimatedHourlyCostSavedUsd?: number;
}

/**
 * The event of one line history entry (rolledOut, parked, woken, deleted; none for the others):
 * subject `lines/<line>`, data the line view (without secrets) with the entry's reason, run id
 * and the hourly cost saved. The transition is the entry's time and run, so parking the line
 * again later is a new event and re-publishing this one is not.
 */
export function lineEvents(
  view: LineView,
  entry: LineHistoryEntry,
  options: LineEventOptions = {},
): LifecycleEvent[] {
  const type = LINE_EVENT_TYPES[entry.action];
  if (type === undefined) return [];
  const subject = `lines/${view.line}`;
  const data = {
    ...view,
    reason: entry.reason,
    ...(entry.runId === undefined ? {} : { runId: entry.runId }),
    ...(options.estimatedHourlyCostSavedUsd === undefined
      ? {}
      : { estimatedHourlyCostSavedUsd: options.estimatedHourlyCostSavedUsd }),
  };
  return [
    {
      id: lifecycleEventId(subject, type, `${entry.at}\n${entry.runId ?? ''}`),
      type,
      subject,
      time: entry.at,
      data: withoutSecrets(data) as Record<string, unknown>,
    },
  ];
}

/** What the teardown knows about an endpoint whose deletion it started. */
export interface TeardownDeletion {
  readonly endpoint: {
    readonly name: string;
    /** ARM id (no secret in it). */
    readonly id: string;
    readonly createdAt?: string;
  };
  readonly runId?: string;
  readonly line?: string;
  readonly reason: string;
  readonly estimatedHourlyCostSavedUsd?: number;
  /** When the sweep started the deletion (its invocation time). */
  readonly at: string;
}

/**
 * `teardown.deleted` for an endpoint the sweep started deleting: subject the line's (a line's
 * endpoint) or the run's. The transition is the endpoint's identity (id and creation time), so a
 * sweep that runs again for the same endpoint sends the same id.
 */
export function teardownDeletedEvent(deletion: TeardownDeletion): LifecycleEvent {
  const type = LifecycleEventType.teardownDeleted;
  const subject =
    deletion.line !== undefined
      ? `lines/${deletion.line}`
      : deletion.runId !== undefined
        ? `runs/${deletion.runId}`
        : `endpoints/${deletion.endpoint.name}`;
  const { at, ...data } = deletion;
  return {
    id: lifecycleEventId(subject, type, `${deletion.endpoint.id}\n${deletion.endpoint.createdAt ?? ''}`),
    type,
    subject,
    time: at,
    data: withoutSecrets(data) as Record<string, unknown>,
  };
}

/** `teardown.deleted` for each endpoint whose deletion the sweep started at `at`. */
export function teardownEvents(started: readonly TeardownDecision[], at: string): LifecycleEvent[] {
  return started.map(({ endpoint, reason, hourlyCost }) => {
    const runId = endpoint.tags[Tag.runId];
    const line = endpoint.tags[Tag.line];
    return teardownDeletedEvent({
      endpoint: {
        name: endpoint.name,
        id: endpoint.id,
        ...(endpoint.createdAt === undefined ? {} : { createdAt: endpoint.createdAt }),
      },
      ...(runId === undefined ? {} : { runId }),
      ...(line === undefined ? {} : { line }),
      reason,
      ...(hourlyCost === undefined ? {} : { estimatedHourlyCostSavedUsd: hourlyCost }),
      at,
    });
  });
}
