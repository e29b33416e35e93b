// The dashboard's calls to the HTTP API (docs/contracts.md "HTTP API"): the function key goes in
// the x-functions-key header and never into a URL (URLs end up in logs, history and Referer).
// No DOM here: test/dashboard/api.test.ts runs it in Node against a local server.
import type { LineListWire, LineWire, MetricHistoryWire, RunListWire, RunWire } from './wire.js';
import type { RunFilter } from './model.js';

/** The table shows the newest runs that match its filter, 50 at most: each needs its view read too. */
export const PAGE_SIZE = 50;
/** Pages of runs read for the table at most: the table is for the recent ones. */
export const MAX_PAGES = 1;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Fetch = (
  url: string,
  init: { headers: Record<string, string> },
) => Promise<{
  readonly status: number;
  readonly ok: boolean;
  json(): Promise<unknown>;
}>;

export class Api {
  /** `base` is the API root, e.g. `https://app.azurewebsites.net/api/`. */
  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly fetchFn: Fetch,
  ) {}

  private async get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await this.fetchFn(url.href, {
      headers: { 'x-functions-key': this.key, accept: 'application/json' },
    });
    const body = (await response.json().catch(() => undefined)) as
      { error?: { code?: string; message?: string } } | undefined;
    if (!response.ok) {
      throw new ApiError(
        response.status,
        body?.error?.code ?? `HTTP_${response.status}`,
        body?.error?.message ?? `GET ${url.pathname} answered ${response.status}`,
      );
    }
    return body as T;
  }

  /** Newest first; asks the API to filter (status, line) and filters again, for an API that does not. */
  async listRuns(filter: RunFilter): Promise<RunWire[]> {
    const query: Record<string, string> = { top: `${PAGE_SIZE}` };
    if (filter.status !== undefined && filter.status !== '') query.status = filter.status;
    if (filter.line !== undefined && filter.line !== '') query.line = filter.line;
    const runs: RunWire[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.get<RunListWire>('runs', {
        ...query,
        ...(token === undefined ? {} : { continuationToken: token }),
      });
      runs.push(...body.runs);
      token = body.continuationToken;
      if (token === undefined) break;
    }
    // The list holds run summaries (the run index: no steps); the table needs each run's view
    // (timeline, compute, cost): one GET per listed run, a page at a time. A run whose view cannot
    // be read keeps its summary, shown with what it has.
    return Promise.all(
      runs.map(async (summary): Promise<RunWire> => {
        if (Array.isArray((summary as Partial<RunWire>).steps)) return summary;
        return this.run(summary.runId).catch(() => ({ ...summary, steps: [] }));
      }),
    );
  }

  run(runId: string): Promise<RunWire> {
    return this.get<RunWire>(`runs/${encodeURIComponent(runId)}`);
  }

  history(runId: string): Promise<MetricHistoryWire> {
    return this.get<MetricHistoryWire>(`runs/${encodeURIComponent(runId)}/metrics/history`);
  }

  /** The lines, or undefined when this app has no lines API (404): the page says "no lines yet". */
  async lines(): Promise<LineWire[] | undefined> {
    try {
      return [...(await this.get<LineListWire>('lines')).lines];
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }
}
