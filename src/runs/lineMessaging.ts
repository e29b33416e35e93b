// How a run and its line talk (docs/lines.md): the run asks its line to roll its model out, the
// line answers the run when the rollout ended, and a waiting run can read the line's status (its
// backstop when an event is lost). These are the activities that need the durable client
// (ClientActivity in src/orchestration/contract.ts); functions/fineTuneOrchestrator.ts builds them
// per invocation over the client the host binds.
import { fail, ok } from '../domain/errors.js';
import { lineInstanceId, type LineView } from '../domain/line.js';
import { ExternalEvent, FunctionName } from '../names.js';
import type { ClientActivityImplementations, LineInput, LineStatus } from '../orchestration/contract.js';
import { ACTIVE_STATUSES, type RunInstance, type RuntimeStatus } from './runInstances.js';

/** The line orchestrations, behind a port (adapter: src/adapters/durableRunInstances.ts). */
export interface LineInstances {
  start(instanceId: string, input: LineInput): Promise<'started' | 'exists'>;
  get(instanceId: string): Promise<RunInstance | undefined>;
  /** Every line instance. */
  list(): Promise<RunInstance[]>;
  raise(instanceId: string, eventName: string, payload: unknown): Promise<void>;
}

/** What raising on a run needs: whether it is alive, and the raise. */
export interface RunEvents {
  get(instanceId: string): Promise<RunInstance | undefined>;
  raise(instanceId: string, eventName: string, payload: unknown): Promise<void>;
}

export const isActive = (status: RuntimeStatus): boolean => ACTIVE_STATUSES.includes(status);

/** The status a line instance published (its customStatus), if it looks like one. */
export function lineStatusOf(instance: RunInstance | undefined): LineStatus | undefined {
  const status = instance?.customStatus as Partial<LineStatus> | undefined;
  if (status === undefined || status === null || typeof status !== 'object') return undefined;
  const view = status.view as unknown;
  if (typeof view !== 'object' || view === null || !Array.isArray((view as LineView).history))
    return undefined;
  return {
    view: view as LineView,
    pending: status.pending ?? [],
    outcomes: status.outcomes ?? {},
    ...(status.current === undefined ? {} : { current: status.current }),
  };
}

/**
 * Sends a request to a line: raised on its running instance, or the instance is (re)started with
 * the request as its first. A line whose instance ended (failed, or deleted) restarts from the
 * view it last published, so its champion is not forgotten; a deleted line starts afresh.
 */
export async function sendToLine(
  lines: LineInstances,
  input: Omit<LineInput, 'pending'>,
  request: NonNullable<LineInput['pending']>[number],
): Promise<{ started: boolean }> {
  const instanceId = lineInstanceId(input.line);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const instance = await lines.get(instanceId);
    if (instance !== undefined && isActive(instance.runtimeStatus)) {
      await lines.raise(instanceId, ExternalEvent.lineRequest, request);
      return { started: false };
    }
    const last = lineStatusOf(instance)?.view;
    const carried = last === undefined || last.history.at(-1)?.action === 'deleted' ? {} : { view: last };
    const started = await lines.start(instanceId, { ...input, ...carried, pending: [request] });
    if (started === 'started') return { started: true };
    // another request started it between the look and the start: raise on it instead
  }
  await lines.raise(instanceId, ExternalEvent.lineRequest, request);
  return { started: false };
}

export function createClientActivities(deps: {
  readonly lines: LineInstances;
  readonly runs: RunEvents;
}): ClientActivityImplementations {
  const { lines, runs } = deps;
  return {
    requestLine: async ({ line, endpointName, settings, request }) =>
      ok(await sendToLine(lines, { line, endpointName, settings }, request)),

    readLine: async ({ line }) => {
      const instance = await lines.get(lineInstanceId(line));
      const status = lineStatusOf(instance);
      return ok({
        running: instance !== undefined && isActive(instance.runtimeStatus),
        ...(status === undefined ? {} : { status }),
      });
    },

    notifyRun: async ({ runId, result }) => {
      const run = await runs.get(runId);
      if (run === undefined || !isActive(run.runtimeStatus)) return ok({ delivered: false });
      await runs.raise(runId, ExternalEvent.rolloutFinished, result);
      return ok({ delivered: true });
    },
  };
}

/** The orchestrator name a line instance runs (the adapter starts it by this name). */
export const LINE_ORCHESTRATOR = FunctionName.lineOrchestrator;

/** A line request refused before it is sent (an unknown line, a conflicting state). */
export const lineNotFound = (line: string) =>
  fail({
    code: 'LINE.NOT_FOUND' as const,
    message: `no line '${line}': no model has been deployed for it, or it was deleted`,
  });
