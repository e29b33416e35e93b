// The notebook's "review the metrics" step over the workspace's MLflow REST API: every metric of
// every (nested) child run of the pipeline job, keyed `<child run name>/<metric key>`.
import type { RunMetricsSource } from '../domain/ports.js';
import type { JsonHttpClient } from './http.js';

const PAGE_SIZE = 100;
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

export class MlflowRunMetrics implements RunMetricsSource {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly trackingUri: () => Promise<string>,
  ) {}

  async getJobMetrics(jobName: string): Promise<Record<string, number>> {
    const base = trackingBaseUrl(await this.trackingUri());
    const experimentId = await this.experimentOf(base, jobName);
    const metrics: Record<string, number> = {};
    const seen = new Set<string>([jobName]);
    const visit = async (parentRunId: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH) return;
      for (const run of await this.children(base, parentRunId, experimentId)) {
        const runId = run.info?.run_id;
        if (runId === undefined || seen.has(runId)) continue;
        seen.add(runId);
        const name = runName(run);
        for (const metric of run.data?.metrics ?? []) {
          if (metric.key === undefined || typeof metric.value !== 'number') continue;
          // runs/search reports each metric's latest value.
          metrics[`${name}/${metric.key}`] = metric.value;
        }
        await visit(runId, depth + 1);
      }
    };
    await visit(jobName, 1);
    return metrics;
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
