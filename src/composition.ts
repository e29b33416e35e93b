// The composition root of the Functions app: settings -> ports (the adapters over the real SDKs)
// -> use cases. It is the one place that reads the settings and the one module outside
// src/adapters/ that builds concrete adapters; functions/*.ts take everything they need from here.
// Assembled once per process, on first use (not at import: registering functions needs no
// settings); each invocation's durable client is wrapped per call.
import { fileURLToPath } from 'node:url';
import type { DurableClient } from 'durable-functions';
import { createActivities, type Activities } from './activities/index.js';
import { DurableLineInstances, DurableRunInstances } from './adapters/durableRunInstances.js';
import { createPorts, type Ports, type PortsOptions } from './adapters/index.js';
import { FolderAssets } from './adapters/staticAssets.js';
import { getConfig, type AppConfig } from './config.js';
import { workspaceResourceId, type JobEventDeps } from './runs/jobEvents.js';
import { createClientActivities, sendToLine } from './runs/lineMessaging.js';
import { lineSettingsOf } from './runs/startRun.js';
import { Tag } from './names.js';
import type { LinesDeps } from './runs/lines.js';
import type { AzureMlGateway, MetricHistorySource, StaticAssetSource } from './domain/ports.js';
import { activeRunIds } from './runs/runInstances.js';
import type { ClientActivityImplementations } from './orchestration/contract.js';
import type { StartRunDeps } from './runs/startRun.js';
import type { TeardownDeps } from './runs/teardown.js';

export interface Services {
  readonly config: AppConfig;
  readonly ports: Ports;
  readonly activities: Activities;
}

/** The app over given settings; `options` are the test-only knobs of createPorts. */
export function createServices(config: AppConfig, options: PortsOptions = {}): Services {
  const ports = createPorts(config, options);
  return { config, ports, activities: createActivities(ports, config) };
}

let services: Services | undefined;

/**
 * The process-wide app over the process's settings (clients keep their connections). Throws the
 * settings error naming every bad key, and then assembles nothing, so the next call reads again.
 */
export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}

/** What starting a run needs (the storage event and POST /api/runs), over this invocation's client. */
export function startRunDeps(client: DurableClient, app: Services = getServices()): StartRunDeps {
  return {
    runs: new DurableRunInstances(client),
    blobs: app.ports.blobs,
    config: app.config,
    runIndex: app.ports.runIndex,
  };
}

/** What routing an Azure ML run event needs: the runs, and the one workspace whose events count. */
export function jobEventDeps(client: DurableClient, app: Services = getServices()): JobEventDeps {
  return { runs: new DurableRunInstances(client), workspaceId: workspaceResourceId(app.config.azureMl) };
}

/** What one idle-endpoint sweep needs, at `now` (the timer's invocation time). */
export function teardownDeps(client: DurableClient, now: Date, app: Services = getServices()): TeardownDeps {
  const runs = new DurableRunInstances(client);
  const lines = new DurableLineInstances(client);
  const action = app.config.lines.idleAction;
  return {
    idleLineAction: action,
    idleLine: async (endpoint, reason) => {
      const lineId = endpoint.tags[Tag.line] ?? '';
      await sendToLine(
        lines,
        { line: lineId, endpointName: endpoint.name, settings: lineSettingsOf(app.config) },
        {
          kind: action,
          requestId: `teardown-${now.toISOString()}-${lineId}`,
          reason: `idle: ${reason}`,
          decidedAt: now.toISOString(),
        },
      );
    },
    gateway: app.ports.gateway,
    endpointMetrics: app.ports.endpointMetrics,
    settings: app.config.teardown,
    metricsDelaySeconds: app.config.teardown.metricsDelaySeconds,
    now,
    activeRunIds: () => activeRunIds(runs),
    events: app.ports.events,
  };
}

/** The activities that talk to other instances (a run and its line), over this invocation's client. */
export function clientActivities(client: DurableClient): ClientActivityImplementations {
  return createClientActivities({
    lines: new DurableLineInstances(client),
    runs: new DurableRunInstances(client),
  });
}

/** What the lines API needs, over this invocation's client. */
export function linesDeps(client: DurableClient, app: Services = getServices()): LinesDeps {
  return {
    lines: new DurableLineInstances(client),
    config: app.config,
    endpointMetrics: app.ports.endpointMetrics,
    now: () => new Date(),
  };
}

/**
 * What GET /api/runs/{id}/metrics/history needs (src/http/runMetricHistory.ts, whose type the root
 * may not import): MLflow's history and the job, for its studio link.
 */
export function runMetricHistoryDeps(app: Services = getServices()): {
  readonly metricHistory: MetricHistorySource;
  readonly getJob: AzureMlGateway['getJob'];
} {
  return {
    metricHistory: app.ports.metricHistory,
    getJob: (name) => app.ports.gateway.getJob(name),
  };
}

/** dist/dashboard, beside dist/src where this module is compiled to (`npm run build` fills it). */
export const DASHBOARD_ASSET_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

let dashboardAssets: StaticAssetSource | undefined;

/** The dashboard's files. Needs no settings: the page loads even when the app's settings are wrong. */
export function dashboardDeps(): { readonly assets: StaticAssetSource } {
  dashboardAssets ??= new FolderAssets(DASHBOARD_ASSET_DIR);
  return { assets: dashboardAssets };
}
