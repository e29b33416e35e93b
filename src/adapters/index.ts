// Assembles the ports over the real SDKs from the app's settings: one credential, one TLS trust
// and one retry policy shared by every client. The settings come from the caller (the app's are
// read once, in src/composition.ts).
import type { TokenCredential } from '@azure/core-auth';
import type { AppConfig } from '../config.js';
import type {
  AzureMlGateway,
  BlobStore,
  DatasetProcessor,
  EndpointMetrics,
  LifecycleEvents,
  MetricHistorySource,
  ModelCatalog,
  RunIndex,
  RunMetricsSource,
  ScoringClient,
} from '../domain/ports.js';
import { AzureMlArmGateway } from './azureMlGateway.js';
import { AzureBlobStore, createContainerClient } from './blobStore.js';
import { createCredential } from './credential.js';
import { validateAndPrepareDataset } from './dataset.js';
import { MonitorEndpointMetrics } from './endpointMetrics.js';
import { armScope, DEFAULT_RETRY, JsonHttpClient, transportOptions, type RetrySettings } from './http.js';
import { EventGridLifecycleEvents, NoLifecycleEvents } from './lifecycleEvents.js';
import { MlflowRunMetrics } from './mlflow.js';
import { RegistryModelCatalog } from './modelCatalog.js';
import { createRunIndexClient, TableRunIndex } from './runIndex.js';
import { EndpointScoringClient } from './scoring.js';

export interface Ports {
  readonly gateway: AzureMlGateway;
  readonly catalog: ModelCatalog;
  readonly runMetrics: RunMetricsSource;
  /** The same MLflow client: per-step history for the dashboard's loss curves. */
  readonly metricHistory: MetricHistorySource;
  readonly endpointMetrics: EndpointMetrics;
  readonly scoring: ScoringClient;
  readonly blobs: BlobStore;
  readonly datasets: DatasetProcessor;
  /** Lifecycle events out; a no-op when EVENTS_TOPIC_ENDPOINT is unset. */
  readonly events: LifecycleEvents;
  readonly runIndex: RunIndex;
}

/** Knobs tests (and only tests) turn: a credential of their own, faster retries and polling. */
export interface PortsOptions {
  readonly credential?: TokenCredential;
  readonly retry?: RetrySettings;
  readonly lroPollIntervalInMs?: number;
}

export function createPorts(config: AppConfig, options: PortsOptions = {}): Ports {
  const { azureMl, fineTune } = config;
  const credential = options.credential ?? createCredential(azureMl);
  const transport = transportOptions(azureMl.caCertPath, options.retry ?? DEFAULT_RETRY);
  // The registry and MLflow take the same ARM token as the control plane.
  const auth = { credential, scope: armScope(azureMl.armEndpoint) };
  const gateway = new AzureMlArmGateway({
    settings: azureMl,
    credential,
    transport,
    ...(options.lroPollIntervalInMs !== undefined && { lroPollIntervalInMs: options.lroPollIntervalInMs }),
  });
  const catalog = new RegistryModelCatalog({
    http: new JsonHttpClient('REGISTRY', transport, auth),
    discoveryUrl: azureMl.registryDiscoveryUrl,
    registry: fineTune.baseModelRegistry,
    ...(fineTune.baseModelFallbackId !== undefined && {
      fallback: { id: fineTune.baseModelFallbackId, tags: fineTune.baseModelFallbackTags ?? {} },
    }),
  });
  let trackingUri: Promise<string> | undefined;
  const runMetrics = new MlflowRunMetrics(new JsonHttpClient('MLFLOW', transport, auth), () => {
    // The workspace's tracking URI does not change: ask once, but ask again after a failure.
    trackingUri ??= gateway.getMlflowTrackingUri().catch((error: unknown) => {
      trackingUri = undefined;
      throw error;
    });
    return trackingUri;
  });
  return {
    gateway,
    catalog,
    runMetrics,
    metricHistory: runMetrics,
    endpointMetrics: new MonitorEndpointMetrics({
      armEndpoint: azureMl.armEndpoint,
      subscriptionId: azureMl.subscriptionId,
      credential,
      transport,
    }),
    // Key auth, no bearer token policy: the scoring URI may be plain http in some setups.
    scoring: new EndpointScoringClient(new JsonHttpClient('SCORING', transport)),
    blobs: new AzureBlobStore(createContainerClient(config.storage)),
    datasets: { validateAndPrepare: validateAndPrepareDataset },
    // The same credential and TLS trust as the other clients: the managed identity in Azure.
    events:
      config.events?.topicEndpoint === undefined
        ? new NoLifecycleEvents()
        : new EventGridLifecycleEvents({
            topicEndpoint: config.events.topicEndpoint,
            source: config.events.source,
            credential,
            transport,
          }),
    runIndex: new TableRunIndex(lazy(() => createRunIndexClient(config.storage, config.runIndexTable))),
  };
}

/** Built on first use: a setup without tables (tests of other ports) never builds the client. */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export { DomainError } from '../domain/errors.js';
export { isRetryable, ServiceUnavailableError } from './errors.js';
