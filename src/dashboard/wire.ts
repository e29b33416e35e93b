// What the dashboard reads from the HTTP API (docs/contracts.md): the parts of the run view, the
// line view and the metric history it shows. Declared here because the page is compiled on its own
// (src/dashboard/tsconfig.json, for the browser); test/dashboard/wire.test.ts holds these to the
// app's own types (src/domain/runView.ts, src/domain/line.ts, src/http/runMetricHistory.ts), so a
// change there that the page would misread does not compile.

export interface StepWire {
  readonly id: string;
  readonly status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly detail?: string;
}

/**
 * A run as GET /api/runs/{id} answers it (the run view). GET /api/runs lists run summaries
 * (src/domain/runIndex.ts: no `steps`, `model` as "name:version"); the page reads each listed run's
 * view (api.ts listRuns).
 */
export interface RunWire {
  readonly runId: string;
  readonly dataset: { readonly container: string; readonly path: string; readonly etag: string };
  readonly line?: string;
  readonly status: string;
  readonly step: string;
  readonly steps: readonly StepWire[];
  readonly jobName?: string;
  readonly model?: {
    readonly name?: string;
    readonly version?: string;
    readonly id?: string;
    readonly base?: { readonly name: string; readonly version: string };
  };
  readonly endpoint?: { readonly name: string; readonly scoringUri: string };
  readonly metrics?: Readonly<Record<string, number>>;
  readonly smokeTest?: { readonly input: unknown; readonly answer: string };
  readonly error?: {
    readonly step: string;
    readonly code: string;
    readonly message: string;
    /** For a rejected dataset: its first findings, `{line, code, message}`. */
    readonly details?: unknown;
  };
}

export interface RunListWire {
  readonly runs: readonly RunWire[];
  readonly continuationToken?: string;
}

export interface LineModelWire {
  readonly model: string;
  readonly label: string;
  readonly deployment: string;
  readonly runId: string;
}

export interface LineWire {
  readonly line: string;
  readonly endpoint: { readonly name: string; readonly scoringUri?: string };
  readonly state: string;
  readonly champion?: LineModelWire;
  readonly challenger?: LineModelWire;
  readonly traffic: Readonly<Record<string, number>>;
  readonly lastRequestAt?: string;
  readonly parkedSince?: string;
  readonly estimatedSavedUsd?: number;
  readonly history: readonly {
    readonly at: string;
    readonly action: string;
    readonly runId?: string;
    readonly reason: string;
  }[];
}

export interface LineListWire {
  readonly lines: readonly LineWire[];
}

export interface MetricHistoryWire {
  readonly runId: string;
  readonly jobName?: string;
  readonly studioUrl?: string;
  readonly series: Readonly<Record<string, readonly { readonly step: number; readonly value: number }[]>>;
}
