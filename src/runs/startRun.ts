// Starting a run, shared by the storage event and POST /api/runs: resolve the dataset version,
// read the overrides, compute the run id (docs/contracts.md "Run id"), and start the orchestration unless that
// run already exists (a duplicate event or request is a no-op that returns the existing run).
import type { AppConfig } from '../config.js';
import { parseDatasetPath, siblingPaths } from '../domain/blobEvents.js';
import { fail, ok, type DomainProblem, type Result } from '../domain/errors.js';
import { overridesSizeProblem, validateOverrides } from '../domain/fineTuneParameters.js';
import type { BlobStore, RunIndex } from '../domain/ports.js';
import { runSummaryOf } from '../domain/runIndex.js';
import type { DatasetRef, RunView } from '../domain/runView.js';
import { computeRunId, forcedRunId } from '../domain/runId.js';
import { newRunView } from '../domain/runView.js';
import { lineEndpointName, lineOfDataset, workspaceResourceId } from '../domain/line.js';
import type { FineTuneInput, LineSettings } from '../orchestration/contract.js';
import { HOURLY_PRICE_ESTIMATE_USD } from './teardown.js';
import type { RunInstances } from './runInstances.js';
import { viewOf } from './instanceView.js';

export interface StartRunDeps {
  readonly runs: RunInstances;
  readonly blobs: BlobStore;
  readonly config: AppConfig;
  /** GET /api/runs lists from it; a started run is written at once so the list shows it. */
  readonly runIndex: RunIndex;
  /** The start time a new run's index row gets; tests pass their own. */
  readonly now?: () => Date;
}

export interface StartRunRequest {
  readonly dataset: DatasetRef;
  /** Overrides from the HTTP body; when absent, the dataset's finetune.json (if any) is read. */
  readonly overrides?: unknown;
  /** Start a new run of the same dataset version: `-r<n>` with the next free n. */
  readonly force?: boolean;
  /**
   * Bad overrides in finetune.json: refuse to start (the HTTP API answers 400), or start a run that
   * fails at `validate` with the problem. A storage event has nobody to answer, so it does the
   * latter: the user finds the failed run and why in GET /api/runs.
   */
  readonly onBadOverridesFile?: 'refuse' | 'failRun';
}

export interface StartedRun {
  readonly runId: string;
  /** 'existing' when the run already existed: nothing was started. */
  readonly outcome: 'started' | 'existing';
  readonly view: RunView;
}

/** How long the starter waits for the new run's index row: the POST and the webhook answer after it. */
const START_INDEX_TIMEOUT_MS = 3_000;

/** Forced re-runs of one dataset version looked up before giving up (each is one status read). */
const MAX_RERUNS = 100;

/** The first sibling test file that exists when the run starts. */
async function findTestFile(blobs: BlobStore, path: string): Promise<string | undefined> {
  for (const candidate of siblingPaths(path).test ?? []) {
    if ((await blobs.getInfo(candidate)) !== undefined) return candidate;
  }
  return undefined;
}

interface OverridesFile {
  readonly path: string;
  readonly overrides: unknown;
}

/** The dataset's finetune.json, if there is one; not JSON is a problem that names the file. */
async function readOverrides(blobs: BlobStore, path: string): Promise<Result<OverridesFile | undefined>> {
  const overridesPath = siblingPaths(path).overrides;
  const text = await blobs.readText(overridesPath);
  if (text === undefined) return ok(undefined);
  try {
    return ok({ path: overridesPath, overrides: JSON.parse(text) as unknown });
  } catch (error) {
    return fail({
      code: 'FINETUNE.OVERRIDES_NOT_JSON',
      message: `${overridesPath} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/**
 * The overrides that name the run and go into its input: an object within OVERRIDES_LIMITS, else
 * none (hashing or serializing a 5,000-level value overflows the stack; its run fails at validate
 * with the problem, like an unreadable finetune.json).
 */
function usableForIdentity(overrides: unknown): Record<string, unknown> {
  const isObject = typeof overrides === 'object' && overrides !== null && !Array.isArray(overrides);
  return isObject && overridesSizeProblem(overrides) === undefined
    ? (overrides as Record<string, unknown>)
    : {};
}

/** The requested overrides and, when they cannot be used, why (naming the file they came from). */
async function readRequestedOverrides(
  blobs: BlobStore,
  request: StartRunRequest,
): Promise<{ overrides: Record<string, unknown>; problem?: DomainProblem }> {
  if (request.overrides !== undefined) {
    const checked = validateOverrides(request.overrides);
    return {
      overrides: usableForIdentity(request.overrides),
      ...(checked.ok ? {} : { problem: checked.error }),
    };
  }
  const file = await readOverrides(blobs, request.dataset.path);
  // Unreadable: the run's identity carries no overrides (there are none to name it by).
  if (!file.ok) return { overrides: {}, problem: file.error };
  if (file.value === undefined || file.value.overrides === null) return { overrides: {} };
  const checked = validateOverrides(file.value.overrides);
  const overrides = usableForIdentity(file.value.overrides);
  return checked.ok
    ? { overrides }
    : {
        overrides,
        problem: { ...checked.error, message: `${file.value.path}: ${checked.error.message}` },
      };
}

/**
 * The dataset version a POST names: the blob must exist and be a dataset path (the same rule as
 * the storage event); its current etag pins the version.
 */
export async function datasetAt(
  blobs: BlobStore,
  config: AppConfig,
  path: string,
): Promise<Result<DatasetRef>> {
  const container = config.storage.trainingContainer;
  const parsed = parseDatasetPath(path);
  if (!parsed.ok) {
    return parsed;
  }
  const info = await blobs.getInfo(path);
  if (info === undefined) {
    return fail({
      code: 'DATASET.NOT_FOUND',
      message: `dataset '${path}' does not exist in container ${container}`,
    });
  }
  return ok({ container, path, etag: info.etag });
}

export async function startRun(
  deps: StartRunDeps,
  request: StartRunRequest,
): Promise<Result<StartedRun, DomainProblem>> {
  const { runs, blobs, config } = deps;
  const { dataset } = request;

  const { overrides: requestedOverrides, problem: overridesProblem } = await readRequestedOverrides(
    blobs,
    request,
  );
  const failRun = request.overrides === undefined && request.onBadOverridesFile === 'failRun';
  if (overridesProblem !== undefined && !failRun) return fail(overridesProblem);

  const identity = computeRunId({ ...dataset, overrides: requestedOverrides });
  let runId = identity.runId;
  const existing = await runs.get(runId);
  if (request.force === true && existing !== undefined) {
    let n = 1;
    while ((await runs.get(forcedRunId(identity.runId, n))) !== undefined) {
      if (++n > MAX_RERUNS) {
        return fail({
          code: 'RUN.TOO_MANY_RERUNS',
          message: `dataset ${dataset.path} already has ${MAX_RERUNS} forced re-runs`,
        });
      }
    }
    runId = forcedRunId(identity.runId, n);
  } else if (existing !== undefined) {
    return ok({ runId, outcome: 'existing', view: viewOf(existing) });
  }

  const testPath = await findTestFile(blobs, dataset.path);
  const line = lineOfDataset(dataset.path);
  const input: FineTuneInput = {
    runId,
    hash: identity.hash,
    dataset,
    ...(testPath === undefined ? {} : { testPath }),
    overrides: requestedOverrides,
    ...(overridesProblem === undefined ? {} : { rejectedOverrides: overridesProblem }),
    settings: {
      jobPollIntervalSeconds: config.fineTune.jobPollIntervalSeconds,
      jobDeadlineSeconds: config.fineTune.jobDeadlineSeconds,
      ...(config.fineTune.gate === undefined ? {} : { gate: config.fineTune.gate }),
    },
    ...(line.ok ? { line: lineFor(line.value, config) } : {}),
  };
  const started = await runs.start(runId, input);
  if (started === 'exists') {
    // lost a race with a concurrent start of the same run: that one is the run
    const winner = await runs.get(runId);
    return ok({
      runId,
      outcome: 'existing',
      view: winner === undefined ? newRunView(runId, dataset) : viewOf(winner),
    });
  }
  const view = newRunView(runId, dataset);
  await indexStarted(deps, view);
  return ok({ runId, outcome: 'started', view });
}

/**
 * The new run's row, so a list right after the start shows it. Only if absent: the orchestration
 * may already have written a later state. Best effort: the orchestration's first activity writes
 * the row again (with retries), so a fault here only delays the run's appearance in the list;
 * and bounded, so a slow table never holds the answer (or Event Grid's delivery) for long.
 */
async function indexStarted(deps: StartRunDeps, view: RunView): Promise<void> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  try {
    await deps.runIndex.put(runSummaryOf(view, at), {
      onlyIfAbsent: true,
      abortSignal: AbortSignal.timeout(START_INDEX_TIMEOUT_MS),
    });
  } catch {
    // see above: the orchestration indexes the run itself
  }
}

/** Deploy polling never waits longer than this between looks (locally the job interval is shorter). */
const MAX_DEPLOY_POLL_SECONDS = 30;
/** A managed deployment takes 10-20 minutes; past this something is stuck. */
const DEPLOY_DEADLINE_SECONDS = 90 * 60;

/** The line a run's model rolls out on: its id, its endpoint in this workspace, and the rollout settings. */
export function lineFor(lineId: string, config: AppConfig): NonNullable<FineTuneInput['line']> {
  return {
    id: lineId,
    endpointName: lineEndpointName(workspaceResourceId(config.azureMl), lineId),
    settings: lineSettingsOf(config),
  };
}

export function lineSettingsOf(config: AppConfig): LineSettings {
  const { lines, fineTune } = config;
  const price = HOURLY_PRICE_ESTIMATE_USD[fineTune.inferenceInstanceType.toLowerCase()];
  return {
    canaryPercent: lines.canaryPercent,
    bakeSeconds: lines.bakeSeconds,
    drainSeconds: lines.drainSeconds,
    compare: lines.compare,
    compareMetric: lines.compareMetric,
    pollSeconds: Math.min(fineTune.jobPollIntervalSeconds, MAX_DEPLOY_POLL_SECONDS),
    deadlineSeconds: DEPLOY_DEADLINE_SECONDS,
    ...(price === undefined
      ? {}
      : { hourlyCostUsd: Math.round(price * fineTune.inferenceInstanceCount * 100) / 100 }),
  };
}
