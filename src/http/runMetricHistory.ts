// GET /api/runs/{id}/metrics/history (docs/contracts.md "HTTP API"): the per-step values of a run's
// job metrics, for the dashboard's loss curves, and the job's Azure ML studio page. Routed by
// src/http/runsApi.ts, which finds the run; this module reads MLflow through its port.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { fail, ok, type Result } from '../domain/errors.js';
import type { MetricHistorySource } from '../domain/ports.js';
import type { JobInfo } from '../domain/resources.js';
import type { RunView } from '../domain/runView.js';
import { truncated } from '../domain/untrustedInput.js';
import { errorResponse } from './errors.js';

export const METRICS_SEGMENT = 'metrics';
export const HISTORY_SEGMENT = 'history';
/**
 * The Hugging Face Trainer's loss keys as the fine-tune step logs them
 * (dev/emulator/facts/step-metrics.json): loss per logging step, eval_loss per evaluation,
 * train_loss once at the end.
 */
export const DEFAULT_HISTORY_KEYS = ['loss', 'eval_loss', 'train_loss'] as const;
export const MAX_HISTORY_KEYS = 10;
/** MLflow's rule for metric names (word characters, `- . / :` and spaces), 250 characters at most. */
const METRIC_KEY = /^[\w\-./: ]{1,250}$/;

export interface RunMetricHistoryDeps {
  readonly metricHistory: MetricHistorySource;
  /** The job, for its studio link; a failure to read it only leaves the link out. */
  readonly getJob: (name: string) => Promise<JobInfo | undefined>;
}

export interface MetricHistoryBody {
  readonly runId: string;
  readonly jobName?: string;
  readonly studioUrl?: string;
  /** `<child run name>/<metric key>` -> its values in step order; empty before the job logged any. */
  readonly series: Readonly<Record<string, readonly { readonly step: number; readonly value: number }[]>>;
}

/** `?keys=a,b` (default DEFAULT_HISTORY_KEYS), each a metric key, at most MAX_HISTORY_KEYS. */
export function parseHistoryKeys(request: HttpRequest): Result<readonly string[]> {
  const text = request.query.get('keys');
  if (text === null || text.trim() === '') return ok(DEFAULT_HISTORY_KEYS);
  const keys = [...new Set(text.split(',').map((k) => k.trim()))].filter((k) => k !== '');
  const bad = keys.filter((k) => !METRIC_KEY.test(k));
  if (keys.length > MAX_HISTORY_KEYS || bad.length > 0) {
    const problem =
      bad.length > 0
        ? `'${truncated(bad[0] ?? '')}' is not a metric key (letters, digits, _ - . / : and spaces, at most 250)`
        : `at most ${MAX_HISTORY_KEYS} keys, got ${keys.length}`;
    return fail({
      code: 'REQUEST.INVALID_QUERY',
      message: `keys: ${problem}; e.g. keys=loss,eval_loss`,
      details: [{ field: 'keys', message: problem }],
    });
  }
  return ok(keys);
}

/** The history body of one run (the caller found it); a run without a job yet has no series. */
export async function runMetricHistory(
  request: HttpRequest,
  view: RunView,
  deps: RunMetricHistoryDeps,
): Promise<HttpResponseInit> {
  const keys = parseHistoryKeys(request);
  if (!keys.ok) return errorResponse(keys.error);
  const jobName = view.jobName;
  if (jobName === undefined) return { status: 200, jsonBody: { runId: view.runId, series: {} } };
  const [history, job] = await Promise.all([
    deps.metricHistory.getJobMetricHistory(jobName, keys.value),
    deps.getJob(jobName).catch(() => undefined),
  ]);
  const series: Record<string, { step: number; value: number }[]> = {};
  for (const [key, points] of Object.entries(history)) {
    series[key] = points.map(({ step, value }) => ({ step, value }));
  }
  const body: MetricHistoryBody = {
    runId: view.runId,
    jobName,
    ...(job?.studioUrl === undefined ? {} : { studioUrl: job.studioUrl }),
    series,
  };
  return { status: 200, jsonBody: body };
}
