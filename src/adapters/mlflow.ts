// The notebook's "review the metrics" step over the workspace's MLflow REST API: every metric of
// every (nested) child run of the pipeline job, keyed `<child run name>/<metric key>`; and, for the
// dashboard's loss curves, the per-step history of chosen metrics (GET metrics/get-history, as
// mlflow/protos/service.proto GetMetricHistory declares it: run_id, metric_key, page_token ->
// {metrics: [{key, value, timestamp, step}], next_page_token?}).
import type { MetricHistorySource, MetricPoint, RunMetricsSource } from '../domain/ports.js';
import type { JsonHttpClient } from './http.js';

const PAGE_SIZE = 100;
/** Pages of one metric's history followed at most (a fine-tune logs hundreds of points, not millions). */
const MAX_HISTORY_PAGES = 20;
/** Pipelines nest components inside components; a few levels is all AML produces. */
const MAX_DEPTH = 5;

interface MlflowRun {
  readonly info?: { readonly run_id?: string; readonly run_name?: string; readonly experiment_id?: string };
  readonly data?: {
    readonly metrics?: readonly {
      readonly key?: string;
      readonly value?: number;
      readonly step?: number;
      readonly timestamp?: number;
    }[];
    readonly tags?: readonly { readonly key?: string; readonly value?: string }[];
  };
}

/** `azureml://host/mlflow/v1.0/...` -> `https://host/mlflow/v1.0/...` (the REST base). */
export function trackingBaseUrl(mlFlowTrackingUri: string): string {
  return mlFlowTrackingUri.replace(/^azureml:\/\//i, 'https://').replace(/\/+$/, '');
}

export class MlflowRunMetrics implements RunMetricsSource, MetricHistorySource {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly trackingUri: () => Promise<string>,
  ) {}

  async getJobMetrics(jobName: string): Promise<Record<string, number>> {
    const base = trackingBaseUrl(await this.trackingUri());
    const metrics: Record<string, number> = {};
    for (const run of await this.descendants(base, jobName)) {
      const name = runName(run);
      for (const metric of run.data?.metrics ?? []) {
        if (metric.key === undefined || typeof metric.value !== 'number') continue;
        // runs/search reports each metric's latest value.
        metrics[`${name}/${metric.key}`] = metric.value;
      }
    }
    return metrics;
  }

  async getJobMetricHistory(
    jobName: string,
    keys: readonly string[],
  ): Promise<Record<string, MetricPoint[]>> {
    const base = trackingBaseUrl(await this.trackingUri());
    const wanted = new Set(keys);
    const series: Record<string, MetricPoint[]> = {};
    for (const run of await this.descendants(base, jobName)) {
      const runId = run.info?.run_id;
      if (runId === undefined) continue;
      // Only the keys the run reports (runs/search lists each logged key): no request per absent key.
      const logged = new Set((run.data?.metrics ?? []).map((m) => m.key).filter((k) => k !== undefined));
      for (const key of [...wanted].filter((k) => logged.has(k))) {
        series[`${runName(run)}/${key}`] = await this.history(base, runId, key);
      }
    }
    return series;
  }

  /** Every (nested) child run of the job, each once, parents before children. */
  private async descendants(base: string, jobName: string): Promise<MlflowRun[]> {
    const experimentId = await this.experimentOf(base, jobName);
    const found: MlflowRun[] = [];
    const seen = new Set<string>([jobName]);
    const visit = async (parentRunId: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH) return;
      for (const run of await this.children(base, parentRunId, experimentId)) {
        const runId = run.info?.run_id;
        if (runId === undefined || seen.has(runId)) continue;
        seen.add(runId);
        found.push(run);
        await visit(runId, depth + 1);
      }
    };
    await visit(jobName, 1);
    return found;
  }

  /** One metric's logged values, every page, sorted by step (then time: a step logged twice keeps both). */
  private async history(base: string, runId: string, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      // no max_results: the proto's "non-paginated query", answered whole by any server; a server
      // that pages anyway says so with next_page_token
      const query = new URLSearchParams({ run_id: runId, metric_key: key });
      if (pageToken !== undefined) query.set('page_token', pageToken);
      const { body } = await this.http.send({
        method: 'GET',
        url: `${base}/api/2.0/mlflow/metrics/get-history?${query.toString()}`,
        operation: `GET MLflow metric history ${key} of run ${runId}`,
      });
      const page = (body ?? {}) as {
        metrics?: readonly { value?: unknown; step?: unknown; timestamp?: unknown }[];
        next_page_token?: string;
      };
      for (const m of page.metrics ?? []) {
        // protobuf JSON writes int64 as a string and may leave out step 0
        const value = typeof m.value === 'number' ? m.value : Number(m.value);
        const step = m.step === undefined ? 0 : Number(m.step);
        const timestamp = m.timestamp === undefined ? 0 : Number(m.timestamp);
        if (Number.isFinite(value) && Number.isFinite(step)) points.push({ step, value, timestamp });
      }
      pageToken = page.next_page_token !== '' ? page.next_page_token : undefined;
      pages++;
    } while (pageToken !== undefined && pages < MAX_HISTORY_PAGES);
    return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  /** The job's experiment, so the search is scoped like MLflow clients scope it (absent: unscoped). */
  private async experimentOf(base: string, jobName: string): Promise<string | undefined> {
    const { status, body } = await this.http.send(
      {
        method: 'GET',
        url: `${base}/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(jobName)}`,
        operation: `GET MLflow run ${jobName}`,
      },
      [404],
    );
    if (status === 404) return undefined;
    return (body as { run?: MlflowRun } | undefined)?.run?.info?.experiment_id;
  }

  private async children(
    base: string,
    parentRunId: string,
    experimentId: string | undefined,
  ): Promise<MlflowRun[]> {
    const runs: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const { body } = await this.http.send({
        method: 'POST',
        url: `${base}/api/2.0/mlflow/runs/search`,
        body: {
          ...(experimentId !== undefined && { experiment_ids: [experimentId] }),
          filter: `tags.mlflow.parentRunId = '${parentRunId.replace(/'/g, "\\'")}'`,
          max_results: PAGE_SIZE,
          ...(pageToken !== undefined && { page_token: pageToken }),
        },
        operation: `search MLflow child runs of ${parentRunId}`,
      });
      const page = (body ?? {}) as { runs?: MlflowRun[]; next_page_token?: string };
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token !== '' ? page.next_page_token : undefined;
    } while (pageToken !== undefined);
    return runs;
  }
}

function runName(run: MlflowRun): string {
  return (
    run.info?.run_name ??
    run.data?.tags?.find((t) => t.key === 'mlflow.runName')?.value ??
    run.info?.run_id ??
    'run'
  );
}
