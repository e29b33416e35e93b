// Starting a run, shared by the storage event and POST /api/runs: resolve the dataset version,
// read the overrides, compute the run id (DESIGN "Run id"), and start the orchestration unless that
// run already exists (a duplicate event or request is a no-op that returns the existing run).
import type { AppConfig } from '../config.js';
import { parseDatasetPath, siblingPaths } from '../domain/blobEvents.js';
import { fail, ok, type DomainProblem, type Result } from '../domain/errors.js';
import { validateOverrides } from '../domain/finetune.js';
import type { BlobStore } from '../domain/ports.js';
import type { DatasetRef, RunView } from '../domain/run/view.js';
import { computeRunId, forcedRunId } from '../domain/runId.js';
import { newRunView } from '../domain/runView.js';
import type { FineTuneInput } from '../orchestration/types.js';
import { ApiCode } from '../http/errors.js';
import type { RunInstances } from './runInstances.js';
import { viewOf } from './views.js';

export interface StartRunDeps {
  readonly runs: RunInstances;
  readonly blobs: BlobStore;
  readonly config: AppConfig;
}

export interface StartRunRequest {
  readonly dataset: DatasetRef;
  /** Overrides from the HTTP body; when absent, the dataset's finetune.json (if any) is read. */
  readonly overrides?: unknown;
  /** Start a new run of the same dataset version: `-r<n>` with the next free n. */
  readonly force?: boolean;
}

export interface StartedRun {
  readonly runId: string;
  /** 'existing' when the run already existed: nothing was started. */
  readonly outcome: 'started' | 'existing';
  readonly view: RunView;
}

export const StartCode = {
  overridesUnreadable: 'FINETUNE.OVERRIDES_NOT_JSON',
  tooManyReruns: 'RUN.TOO_MANY_RERUNS',
} as const;

/** Forced re-runs of one dataset version looked up before giving up (each is one status read). */
const MAX_RERUNS = 100;

/** The first sibling test file that exists when the run starts. */
async function findTestFile(blobs: BlobStore, path: string): Promise<string | undefined> {
  for (const candidate of siblingPaths(path).test ?? []) {
    if ((await blobs.getInfo(candidate)) !== undefined) return candidate;
  }
  return undefined;
}

async function readOverrides(blobs: BlobStore, path: string): Promise<Result<unknown>> {
  const overridesPath = siblingPaths(path).overrides;
  const text = await blobs.readText(overridesPath);
  if (text === undefined) return ok(undefined);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    return fail({
      code: StartCode.overridesUnreadable,
      message: `${overridesPath} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
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
      code: ApiCode.datasetNotFound,
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

  const requested =
    request.overrides !== undefined ? ok(request.overrides) : await readOverrides(blobs, dataset.path);
  if (!requested.ok) return requested;
  const overrides = requested.value === undefined ? {} : requested.value;
  const checked = validateOverrides(overrides);
  if (!checked.ok) return checked;
  const requestedOverrides = overrides as Record<string, unknown>;

  const identity = computeRunId({ ...dataset, overrides: requestedOverrides });
  let runId = identity.runId;
  const existing = await runs.get(runId);
  if (request.force === true && existing !== undefined) {
    let n = 1;
    while ((await runs.get(forcedRunId(identity.runId, n))) !== undefined) {
      if (++n > MAX_RERUNS) {
        return fail({
          code: StartCode.tooManyReruns,
          message: `dataset ${dataset.path} already has ${MAX_RERUNS} forced re-runs`,
        });
      }
    }
    runId = forcedRunId(identity.runId, n);
  } else if (existing !== undefined) {
    return ok({ runId, outcome: 'existing', view: viewOf(existing) });
  }

  const testPath = await findTestFile(blobs, dataset.path);
  const input: FineTuneInput = {
    runId,
    hash: identity.hash,
    dataset,
    ...(testPath === undefined ? {} : { testPath }),
    overrides: requestedOverrides,
    settings: {
      jobPollIntervalSeconds: config.fineTune.jobPollIntervalSeconds,
      jobDeadlineSeconds: config.fineTune.jobDeadlineSeconds,
      ...(config.fineTune.gate === undefined ? {} : { gate: config.fineTune.gate }),
    },
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
  return ok({ runId, outcome: 'started', view: newRunView(runId, dataset) });
}
