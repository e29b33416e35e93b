// The run view, types and reducer: customStatus while a run is in flight, output when it ends,
// and what GET /api/runs/{id} shows (docs/contracts.md, "Run view"). Plain data: it survives JSON.
// Every function returns a new view and never reads the clock: the orchestrator passes `at` from
// context.df.currentUtcDateTime so replays agree.
import type { ErrorCode } from './errorCodes.js';
import type { DomainProblem } from './errors.js';

export const STEP_IDS = [
  'validate',
  'prepare',
  'resolveModel',
  'checkCompute',
  'submit',
  'train',
  'metrics',
  'gate',
  'register',
  'deploy',
  'smokeTest',
  'cleanup',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
/** RolledBack: the new model is registered but did not pass its rollout; the line's champion kept serving. */
export type RunStatus = 'Running' | 'Succeeded' | 'NotDeployed' | 'RolledBack' | 'Failed' | 'Canceled';

export interface DatasetRef {
  readonly container: string;
  /** Blob path of the dataset's train file (or single file), e.g. `incoming/chat/train.jsonl`. */
  readonly path: string;
  /** Unquoted ETag of the dataset version. */
  readonly etag: string;
}

export interface StepView {
  readonly id: StepId;
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly detail?: string;
}

export interface RunErrorView {
  readonly step: StepId;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

export interface RunView {
  readonly runId: string;
  readonly dataset: DatasetRef;
  /** The serving line (the dataset's name, slugged: src/domain/line.ts). */
  readonly line?: string;
  readonly status: RunStatus;
  readonly step: StepId;
  readonly steps: readonly StepView[];
  readonly jobName?: string;
  /** The pinned pipeline component the job runs (from resolveModel). */
  readonly component?: { readonly id: string; readonly version: string };
  /**
   * The fine-tuned model once registered (name, version, id) and, from resolveModel on, the base
   * model it was tuned from.
   */
  readonly model?: {
    readonly name?: string;
    readonly version?: string;
    readonly id?: string;
    readonly base?: BaseModelView;
  };
  readonly endpoint?: { readonly name: string; readonly scoringUri: string };
  readonly metrics?: Readonly<Record<string, number>>;
  readonly smokeTest?: { readonly input: unknown; readonly answer: string };
  /** How the model's rollout on the line ended (deploy step on): first deployment, rolled out, rolled back, superseded. */
  readonly rollout?: RolloutView;
  /** Things that did not stop the run: a dropped model default, a check that could not be made, a deprecated model. */
  readonly notes?: readonly RunNote[];
  readonly error?: RunErrorView;
}

export interface RolloutView {
  readonly outcome: 'first' | 'rolledOut' | 'rolledBack' | 'superseded' | 'failed';
  readonly deployment: string;
  readonly reason: string;
  /** What rolled it back (rolledBack, failed). */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface BaseModelView {
  readonly name: string;
  readonly version: string;
  readonly lifecycle?: {
    readonly finetuneDeprecationDate?: string;
    readonly finetuneRetirementDate?: string;
    readonly inferenceDeprecationDate?: string;
    readonly inferenceRetirementDate?: string;
    readonly archived?: boolean;
  };
}

export interface RunNote {
  readonly step: StepId;
  readonly code: ErrorCode;
  readonly message: string;
}

/** How a run can end other than by failing (a failure goes through runFailed, which records the error). */
export type EndStatus = Exclude<RunStatus, 'Running' | 'Failed'>;

export function newRunView(runId: string, dataset: DatasetRef, line?: string): RunView {
  return {
    runId,
    dataset: { container: dataset.container, path: dataset.path, etag: dataset.etag },
    ...(line === undefined ? {} : { line }),
    status: 'Running',
    step: STEP_IDS[0],
    steps: STEP_IDS.map((id) => ({ id, status: 'pending' })),
  };
}

function updateStep(view: RunView, id: StepId, change: (step: StepView) => StepView): RunView['steps'] {
  return view.steps.map((step) => (step.id === id ? change(step) : step));
}

/** Marks a step running and makes it the view's current step. Restarting a step clears its end. */
export function stepStarted(view: RunView, step: StepId, at: string): RunView {
  return {
    ...view,
    step,
    steps: updateStep(view, step, ({ id }) => ({ id, status: 'running', startedAt: at })),
  };
}

export function stepSucceeded(view: RunView, step: StepId, at: string, detail?: string): RunView {
  return {
    ...view,
    step,
    steps: updateStep(view, step, (s) => withDetail({ ...s, status: 'succeeded', endedAt: at }, detail)),
  };
}

/**
 * A step that failed without deciding the run's outcome, e.g. cleanup after the run already
 * failed: the run keeps its status and its first error.
 */
export function stepFailed(view: RunView, step: StepId, at: string, detail?: string): RunView {
  return {
    ...view,
    step,
    steps: updateStep(view, step, (s) => withDetail({ ...s, status: 'failed', endedAt: at }, detail)),
  };
}

/** A step that does not apply to this run (e.g. deploy after a failed gate); the current step stays. */
export function stepSkipped(view: RunView, step: StepId, detail?: string): RunView {
  return {
    ...view,
    steps: updateStep(view, step, ({ id }) => withDetail({ id, status: 'skipped' }, detail)),
  };
}

/**
 * Ends the run Failed at `step` with the problem's code and message (and details, e.g. a dataset
 * report's first errors). Steps that never ran become skipped; cleanup may still be started after.
 */
export function runFailed(view: RunView, step: StepId, problem: DomainProblem, at: string): RunView {
  const failed = updateStep(view, step, (s) => ({ ...s, status: 'failed', endedAt: at }));
  return {
    ...view,
    status: 'Failed',
    step,
    steps: finishOpenSteps(failed, at, undefined),
    error: {
      step,
      code: problem.code,
      message: problem.message,
      ...(problem.details === undefined ? {} : { details: problem.details }),
    },
  };
}

/**
 * Ends the run Succeeded, NotDeployed (gate failed: model registered, nothing billing),
 * RolledBack (its rollout failed: model registered, the champion serving) or
 * Canceled. A step still running is closed as skipped ('canceled' when the run was canceled);
 * steps that never ran become skipped.
 */
export function runEnded(view: RunView, status: EndStatus, at: string): RunView {
  return {
    ...view,
    status,
    steps: finishOpenSteps(view.steps, at, status === 'Canceled' ? 'canceled' : undefined),
  };
}

function finishOpenSteps(steps: RunView['steps'], at: string, runningDetail: string | undefined): StepView[] {
  return steps.map((s) => {
    if (s.status === 'pending') return { id: s.id, status: 'skipped' };
    if (s.status === 'running') return withDetail({ ...s, status: 'skipped', endedAt: at }, runningDetail);
    return s;
  });
}

function withDetail(step: StepView, detail: string | undefined): StepView {
  return detail === undefined ? step : { ...step, detail };
}

export interface RunViewPatch {
  readonly jobName?: string;
  readonly component?: RunView['component'];
  readonly model?: RunView['model'];
  readonly endpoint?: RunView['endpoint'];
  readonly metrics?: RunView['metrics'];
  readonly smokeTest?: RunView['smokeTest'];
  readonly rollout?: RunView['rollout'];
}

/** Adds notes (in order) to the view's notes. */
export function withNotes(
  view: RunView,
  step: StepId,
  notes: readonly { code: ErrorCode; message: string }[],
): RunView {
  if (notes.length === 0) return view;
  return {
    ...view,
    notes: [...(view.notes ?? []), ...notes.map(({ code, message }) => ({ step, code, message }))],
  };
}

/** Records what a step produced; members left undefined keep their current value. */
export function withPatch(view: RunView, patch: RunViewPatch): RunView {
  const next: Record<string, unknown> = { ...view };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) next[key] = value;
  }
  return next as unknown as RunView;
}

export function isFinished(view: RunView): boolean {
  return view.status !== 'Running';
}
