// A pipeline job's life on the simulated clock: the parent run's status transitions, one child run per
// pipeline step, and the MLflow metrics the fine-tune and evaluation steps log. Everything is a pure
// function of the job record and "now", so GET, MLflow, events and a restart all agree.
import { createHash } from 'node:crypto';
import { PIPELINE_STEPS, type PipelineStep } from './pipeline.js';
import type { JobRecord } from './state.js';

export type RunStatus =
  'NotStarted' | 'Queued' | 'Running' | 'CancelRequested' | 'Completed' | 'Failed' | 'Canceled';
export const TERMINAL: readonly string[] = ['Completed', 'Failed', 'Canceled'];

export interface Transition {
  status: RunStatus;
  at: number;
}

export interface RunTimeline {
  runId: string;
  /** Step name for a child run; undefined for the pipeline run itself. */
  step?: PipelineStep;
  startedAt?: number;
  endedAt?: number;
  transitions: Transition[];
}

/** Share of the running window each step takes (the fine-tune dominates, as on real GPUs). */
const STEP_SHARE: Record<PipelineStep, number> = {
  model_import: 0.1,
  preprocess: 0.1,
  finetune: 0.6,
  model_evaluation: 0.2,
};

/** A stable GUID-shaped id from a seed: child run ids look like the service's and survive restarts. */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function childRunId(jobName: string, step: PipelineStep): string {
  return stableGuid(`${jobName}/${step}`);
}

/** Planned timing of a new job from the clock settings at submission. */
export function planJob(
  createdAt: number,
  jobSeconds: number,
): Pick<JobRecord, 'createdAt' | 'queuedAt' | 'runningAt' | 'nominalEndAt'> {
  const total = Math.max(0, jobSeconds) * 1000;
  return {
    createdAt,
    queuedAt: createdAt + total * 0.1,
    runningAt: createdAt + total * 0.2,
    nominalEndAt: createdAt + total,
  };
}

/** Nominal [start, end) of each step within the running window. */
export function stepWindows(job: JobRecord): { step: PipelineStep; start: number; end: number }[] {
  const span = job.nominalEndAt - job.runningAt;
  let cursor = job.runningAt;
  return PIPELINE_STEPS.map(({ step }) => {
    const start = cursor;
    cursor += span * STEP_SHARE[step];
    return { step, start, end: cursor };
  });
}

/** How and when the job ends: its final status, when it reaches it, and when work stops. */
function ending(job: JobRecord): { final: RunStatus; endAt: number; cutAt: number } {
  if (job.cancel) return { final: 'Canceled', endAt: job.cancel.doneAt, cutAt: job.cancel.requestedAt };
  if (job.outcome) return { final: job.outcome.status, endAt: job.outcome.at, cutAt: job.outcome.at };
  return { final: 'Completed', endAt: job.nominalEndAt, cutAt: job.nominalEndAt };
}

export function jobTimelines(job: JobRecord): RunTimeline[] {
  const { final, endAt, cutAt } = ending(job);
  const parent: Transition[] = [];
  if (job.queuedAt < cutAt) parent.push({ status: 'Queued', at: job.queuedAt });
  if (job.runningAt < cutAt) parent.push({ status: 'Running', at: job.runningAt });
  if (job.cancel) parent.push({ status: 'CancelRequested', at: job.cancel.requestedAt });
  parent.push({ status: final, at: endAt });
  const runs: RunTimeline[] = [
    { runId: job.name, startedAt: job.createdAt, endedAt: endAt, transitions: parent },
  ];

  for (const { step, start, end } of stepWindows(job)) {
    let childEnd: number;
    let childFinal: RunStatus;
    let childStart = start;
    if (final === 'Completed') {
      childStart = Math.min(start, endAt);
      childEnd = Math.min(end, endAt);
      childFinal = 'Completed';
    } else {
      if (start >= cutAt) break; // never started
      if (end <= cutAt) {
        childEnd = end;
        childFinal = 'Completed';
      } else {
        childEnd = endAt;
        childFinal = final;
      }
    }
    runs.push({
      runId: childRunId(job.name, step),
      step,
      startedAt: childStart,
      endedAt: childEnd,
      transitions: [
        { status: 'Running', at: childStart },
        { status: childFinal, at: childEnd },
      ],
    });
  }
  return runs;
}

export function statusAt(timeline: RunTimeline, now: number): RunStatus {
  let status: RunStatus = 'NotStarted';
  for (const t of timeline.transitions) if (t.at <= now) status = t.status;
  return status;
}

export function jobStatus(job: JobRecord, now: number): RunStatus {
  return statusAt(jobTimelines(job)[0]!, now);
}

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

function seedFraction(seed: string): number {
  return parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 8), 16) / 0xffffffff;
}

const round = (n: number) => Math.round(n * 10000) / 10000;

/**
 * Metrics a step logs over its window, deterministic per job: the fine-tune logs a decaying train_loss
 * every 10 steps, eval_loss per epoch, learning_rate; the evaluation logs perplexity.
 */
export function stepMetrics(job: JobRecord, step: PipelineStep, start: number, end: number): MetricPoint[] {
  const r = seedFraction(job.name);
  const at = (fraction: number) => Math.round(start + (end - start) * fraction);
  const epochs = Math.min(10, Math.max(1, Number(job.resolved.literals.num_train_epochs ?? '3') || 3));
  const lr = Number(job.resolved.literals.learning_rate ?? '5e-6') || 5e-6;
  const points: MetricPoint[] = [];
  if (step === 'finetune') {
    const perEpoch = 10;
    const total = epochs * perEpoch;
    for (let k = 1; k <= total; k++) {
      const f = k / total;
      const trainLoss = 0.55 + 0.15 * r + 1.6 * Math.exp(-3.2 * f) + 0.04 * Math.sin(k * 1.7 + r * 6);
      points.push({ key: 'train_loss', value: round(trainLoss), timestamp: at(f * 0.95), step: k * 10 });
      points.push({
        key: 'learning_rate',
        value: lr * 0.5 * (1 + Math.cos(Math.PI * f)),
        timestamp: at(f * 0.95),
        step: k * 10,
      });
      if (k % perEpoch === 0) {
        const epoch = k / perEpoch;
        const evalLoss = 0.62 + 0.15 * r + 1.2 * Math.exp((-2.5 * epoch) / epochs);
        points.push({ key: 'eval_loss', value: round(evalLoss), timestamp: at(f * 0.95), step: k * 10 });
        points.push({ key: 'epoch', value: epoch, timestamp: at(f * 0.95), step: k * 10 });
      }
    }
    points.push({
      key: 'train_runtime',
      value: round(2400 * epochs * (1 + r)),
      timestamp: at(0.99),
      step: total * 10,
    });
    points.push({
      key: 'train_samples_per_second',
      value: round(1.8 + r),
      timestamp: at(0.99),
      step: total * 10,
    });
  } else if (step === 'model_evaluation') {
    const evalLoss = 0.62 + 0.15 * r + 1.2 * Math.exp(-2.5);
    points.push({ key: 'perplexity', value: round(Math.exp(evalLoss)), timestamp: at(0.9), step: 0 });
    points.push({ key: 'eval_runtime', value: round(300 + 200 * r), timestamp: at(0.9), step: 0 });
  }
  return points;
}

/** The metrics of a run visible at `now` (a run only shows what it logged before it ended). */
export function visibleMetrics(job: JobRecord, run: RunTimeline, now: number): MetricPoint[] {
  if (run.step === undefined) return [];
  const window = stepWindows(job).find((w) => w.step === run.step)!;
  const start = run.startedAt ?? window.start;
  // A completed step logged its whole curve; a failed or canceled one stopped part way through.
  const completed = run.transitions.at(-1)?.status === 'Completed';
  const end = completed ? (run.endedAt ?? window.end) : window.end;
  const limit = Math.min(now, run.endedAt ?? now);
  return stepMetrics(job, run.step, start, end).filter((p) => p.timestamp <= limit);
}
