// The run view: customStatus while a run is in flight, output when it ends, and what
// GET /api/runs/{id} shows (docs/contracts.md "Run view"). Plain data so it survives JSON round trips.

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
export type RunStatus = 'Running' | 'Succeeded' | 'NotDeployed' | 'Failed' | 'Canceled';

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
  readonly status: RunStatus;
  readonly step: StepId;
  readonly steps: readonly StepView[];
  readonly jobName?: string;
  readonly model?: { readonly name: string; readonly version: string; readonly id: string };
  readonly endpoint?: { readonly name: string; readonly scoringUri: string };
  readonly metrics?: Readonly<Record<string, number>>;
  readonly smokeTest?: { readonly input: unknown; readonly answer: string };
  readonly error?: RunErrorView;
}
