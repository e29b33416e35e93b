// How far a long dataset pass has got, as the run view shows it. An activity cannot set the
// orchestration's custom status, so the validate activity writes runs/<id>/progress.json now and
// then (src/activities/dataset.ts) and GET /api/runs/{id} folds it into the step while it runs
// (src/runs/instanceView.ts).
import type { RunView, StepId } from './runView.js';

/** Where a run's dataset pass keeps its progress. */
export const datasetProgressPath = (runId: string): string => `runs/${runId}/progress.json`;

/** The content of runs/<id>/progress.json. */
export interface DatasetProgressRecord {
  readonly step: StepId;
  /** Rows read so far, over the train input and then the test input. */
  readonly rows: number;
  readonly bytes: number;
  /** The size of every input of the pass. */
  readonly totalBytes: number;
  /** When it was written (ISO 8601). */
  readonly at: string;
}

/** The record as read from storage, or undefined if it is not one (a partial or foreign blob). */
export function parseDatasetProgress(text: string | undefined): DatasetProgressRecord | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { step, rows, bytes, totalBytes, at } = value as Record<string, unknown>;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof step !== 'string' || typeof at !== 'string') return undefined;
  if (!count(rows) || !count(bytes) || !count(totalBytes)) return undefined;
  return { step: step as StepId, rows, bytes, totalBytes, at };
}

const thousands = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const megabytes = (bytes: number): string => `${thousands.format(Math.round(bytes / 1e6))} MB`;

/** "1,234,567 rows, 812 MB of 1,330 MB read". */
export function progressDetail(progress: DatasetProgressRecord): string {
  const rows = `${thousands.format(progress.rows)} ${progress.rows === 1 ? 'row' : 'rows'}`;
  return `${rows}, ${megabytes(progress.bytes)} of ${megabytes(progress.totalBytes)} read`;
}

/** The step whose progress the view would show now: the one a progress record is written for, if it is running. */
export function progressStep(view: RunView): StepId | undefined {
  if (view.status !== 'Running') return undefined;
  return view.steps.some((s) => s.id === 'validate' && s.status === 'running') ? 'validate' : undefined;
}

/** The view with the progress as its step's detail, while (and only while) that step is running. */
export function withDatasetProgress(view: RunView, progress: DatasetProgressRecord | undefined): RunView {
  if (progress === undefined || view.status !== 'Running') return view;
  const index = view.steps.findIndex((s) => s.id === progress.step && s.status === 'running');
  if (index < 0) return view;
  const steps = view.steps.map((s, i) => (i === index ? { ...s, detail: progressDetail(progress) } : s));
  return { ...view, steps };
}
