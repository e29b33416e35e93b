// A pipeline job's life on the simulated clock: the pipeline run's status transitions, the run of its
// pipeline-component node, one run per child step the component version declares (validation, model
// import, preprocess, finetune, model converter, evaluation where the version has it), and the MLflow
// metrics the fine-tune step logs (keys from facts/step-metrics.json). Everything is a pure function of
// the job record and "now", so GET, MLflow, events and a restart all agree.
import { createHash } from 'node:crypto';
import { STEP_METRIC_FACTS } from './facts.js';
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
  /** 'pipeline': the job's run; 'node': the pipeline component's run; 'step': one of its child steps. */
  kind: 'pipeline' | 'node' | 'step';
  /** Node or step name; undefined for the pipeline run itself. */
  step?: string;
  /** The run this one is a child of (MLflow tag mlflow.parentRunId). */
  parentRunId?: string;
  startedAt?: number;
  endedAt?: number;
  transitions: Transition[];
}

/** Weight of each step in the running window: the fine-tune dominates, as on real GPUs. */
const stepWeight = (step: string) => (step.endsWith('_finetune') ? 6 : 1);
export const FINETUNE_STEP = 'chat_completion_finetune';

/** A stable GUID-shaped id from a seed: child run ids look like the service's and survive restarts. */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function childRunId(jobName: string, step: string): string {
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
export function stepWindows(job: JobRecord): { step: string; start: number; end: number }[] {
  const span = job.nominalEndAt - job.runningAt;
  const steps = job.resolved.steps.map((s) => s.name);
  const total = steps.reduce((sum, s) => sum + stepWeight(s), 0);
  let cursor = job.runningAt;
  return steps.map((step) => {
    const start = cursor;
    cursor += (span * stepWeight(step)) / total;
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
  const nodeRunId = childRunId(job.name, job.resolved.nodeName);
  const runs: RunTimeline[] = [
    { runId: job.name, kind: 'pipeline', startedAt: job.createdAt, endedAt: endAt, transitions: parent },
  ];
  if (job.runningAt < cutAt) {
    runs.push({
      runId: nodeRunId,
      kind: 'node',
      step: job.resolved.nodeName,
      parentRunId: job.name,
      startedAt: job.runningAt,
      endedAt: endAt,
      transitions: [
        { status: 'Running', at: job.runningAt },
        { status: final === 'Completed' ? 'Completed' : final, at: endAt },
      ],
    });
  }

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
      kind: 'step',
      step,
      parentRunId: nodeRunId,
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
 * Metrics a step logs over its window, deterministic per job. Only the fine-tune step logs metrics whose
 * keys are on record (the Hugging Face Trainer's, facts/step-metrics.json): per logging step loss,
 * grad_norm, learning_rate, epoch; per epoch eval_loss, eval_runtime, eval_samples_per_second,
 * eval_steps_per_second, epoch; at the end train_runtime, train_samples_per_second,
 * train_steps_per_second, total_flos, train_loss, epoch.
 */
export function stepMetrics(job: JobRecord, step: string, start: number, end: number): MetricPoint[] {
  if (step !== FINETUNE_STEP) return [];
  const keys = STEP_METRIC_FACTS.steps.chat_completion_finetune;
  const r = seedFraction(job.name);
  const at = (fraction: number) => Math.round(start + (end - start) * fraction);
  const epochs = Math.min(10, Math.max(1, Number(job.resolved.literals.num_train_epochs ?? '1') || 1));
  const lr = Number(job.resolved.literals.learning_rate ?? '2e-5') || 2e-5;
  const loggingSteps = Math.max(1, Number(job.resolved.literals.logging_steps ?? '10') || 10);
  const perEpoch = 10;
  const total = epochs * perEpoch;
  const points: MetricPoint[] = [];
  const log = (values: Record<string, number>, names: string[], timestamp: number, stepNo: number) => {
    for (const key of names) points.push({ key, value: values[key]!, timestamp, step: stepNo });
  };
  let lossSum = 0;
  for (let k = 1; k <= total; k++) {
    const f = k / total;
    const loss = round(0.55 + 0.15 * r + 1.6 * Math.exp(-3.2 * f) + 0.04 * Math.sin(k * 1.7 + r * 6));
    lossSum += loss;
    const stepNo = k * loggingSteps;
    log(
      {
        loss,
        grad_norm: round(0.8 + 0.6 * Math.exp(-2 * f) + 0.05 * r),
        learning_rate: lr * 0.5 * (1 + Math.cos(Math.PI * f)),
        epoch: round(f * epochs),
      },
      keys.perLoggingStep,
      at(f * 0.95),
      stepNo,
    );
    if (k % perEpoch === 0) {
      const epoch = k / perEpoch;
      log(
        {
          eval_loss: round(0.62 + 0.15 * r + 1.2 * Math.exp((-2.5 * epoch) / epochs)),
          eval_runtime: round(120 + 40 * r),
          eval_samples_per_second: round(4.2 + r),
          eval_steps_per_second: round(1.05 + r / 4),
          epoch,
        },
        keys.perEvaluation,
        at(f * 0.95),
        stepNo,
      );
    }
  }
  const runtime = round(2400 * epochs * (1 + r));
  log(
    {
      train_runtime: runtime,
      train_samples_per_second: round(1.8 + r),
      train_steps_per_second: round((total * loggingSteps) / runtime),
      total_flos: Math.round(3.1e16 * epochs * (1 + r)),
      train_loss: round(lossSum / total),
      epoch: epochs,
    },
    keys.atEnd,
    at(0.99),
    total * loggingSteps,
  );
  return points;
}

/** The metrics of a run visible at `now` (a run only shows what it logged before it ended). */
export function visibleMetrics(job: JobRecord, run: RunTimeline, now: number): MetricPoint[] {
  if (run.kind !== 'step' || run.step === undefined) return [];
  const window = stepWindows(job).find((w) => w.step === run.step)!;
  const start = run.startedAt ?? window.start;
  // A completed step logged its whole curve; a failed or canceled one stopped part way through.
  const completed = run.transitions.at(-1)?.status === 'Completed';
  const end = completed ? (run.endedAt ?? window.end) : window.end;
  const limit = Math.min(now, run.endedAt ?? now);
  return stepMetrics(job, run.step, start, end).filter((p) => p.timestamp <= limit);
}
