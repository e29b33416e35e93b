// The only reader of process.env in the app (src/ and functions/). Settings are parsed once,
// validated together (every problem reported, each naming its key) and frozen.
// The keys and their meaning are the settings table of docs/settings.md; local values live in
// local.settings.sample.json, Azure values in the infra template.
import { parseComponentId } from './domain/componentSpec.js';
import { LOCAL_EVENT_SOURCE } from './domain/lifecycleEvents.js';
import { PINNED_COMPONENT } from './domain/pinnedComponent.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    // One line: hosts log the first line of a failure only.
    super(`invalid settings: ${problems.join('; ')}`);
  }
}

export type CredentialMode = 'default' | 'static';

export interface StorageSettings {
  /** Azurite / shared-key connection string (local). */
  readonly connectionString?: string;
  /** Identity-based storage (Azure): blob service URL built from the account name or given. */
  readonly blobServiceUrl?: string;
  /** Identity-based storage (Azure): table service URL (the run index), built from the account name or given. */
  readonly tableServiceUrl?: string;
  /** Managed identity client id for identity-based storage. */
  readonly clientId?: string;
  readonly trainingContainer: string;
}

export interface AzureMlSettings {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly location: string;
  readonly armEndpoint: string;
  readonly credential: CredentialMode;
  /** User-assigned managed identity; also read by @azure/identity itself. */
  readonly clientId?: string;
  readonly caCertPath?: string;
  readonly registryDiscoveryUrl: string;
  readonly datastore: string;
}

export interface FineTuneSettings {
  readonly computeCluster: string;
  readonly baseModelName: string;
  readonly baseModelRegistry: string;
  readonly pipelineComponent: string;
  readonly baseModelFallbackId?: string;
  /** Raw tag map (values are the registry's Python-literal strings). */
  readonly baseModelFallbackTags?: Readonly<Record<string, string>>;
  readonly experimentName: string;
  readonly inferenceInstanceType: string;
  readonly inferenceInstanceCount: number;
  readonly jobPollIntervalSeconds: number;
  readonly jobDeadlineSeconds: number;
  readonly gate?: { readonly metric: string; readonly max: number };
}

export interface TeardownSettings {
  readonly idleWindowSeconds: number;
  readonly idleGraceSeconds: number;
  readonly dryRun: boolean;
  readonly maxDeletions: number;
  /** How far behind now the idle window ends: Azure Monitor reports a minute only once it is ingested. */
  readonly metricsDelaySeconds?: number;
}

/** Serving lines (docs/lines.md): how a new model replaces the champion, and what idle means. */
export interface LineSettingsConfig {
  readonly canaryPercent: number;
  readonly bakeSeconds: number;
  readonly drainSeconds: number;
  readonly compare: 'none' | 'metrics' | 'heldout';
  readonly compareMetric: string;
  /** What the idle teardown does to an idle line: park (delete its deployments, keep the endpoint) or delete it. */
  readonly idleAction: 'park' | 'delete';
}

/** Lifecycle events out (docs/contracts.md "Lifecycle events"). */
export interface EventSettings {
  /** The Event Grid topic's endpoint (`https://<topic>.<region>-1.eventgrid.azure.net/api/events`); unset = publish nothing. */
  readonly topicEndpoint?: string;
  /** The events' CloudEvents `source`: the Function App's resource id. */
  readonly source: string;
}

export interface AppConfig {
  readonly storage: StorageSettings;
  /**
   * The storage account's name, derived from the storage settings (connection string AccountName,
   * AzureWebJobsStorage__accountName or the blob service URL): only its BlobCreated events count.
   */
  readonly storageAccount: string;
  /** The run index's table in the storage account (GET /api/runs lists from it). */
  readonly runIndexTable: string;
  readonly azureMl: AzureMlSettings;
  readonly fineTune: FineTuneSettings;
  readonly teardown: TeardownSettings;
  readonly lines: LineSettingsConfig;
  /** Optional so configs built by hand (tests, tools) need none: absent = publish nothing. */
  readonly events?: EventSettings;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads settings, collecting problems instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  optional(key: string): string | undefined {
    const value = this.env[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  required(key: string): string {
    const value = this.optional(key);
    if (value === undefined) {
      this.problems.push(`${key} is required but not set`);
      return '';
    }
    return value;
  }

  string(key: string, fallback: string): string {
    return this.optional(key) ?? fallback;
  }

  integer(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.optional(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${key} must be a whole number from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  number(key: string): number | undefined {
    const raw = this.optional(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      this.problems.push(`${key} must be a number, got '${raw}'`);
      return undefined;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const raw = this.optional(key);
    if (raw === undefined) return fallback;
    if (/^(true|1)$/i.test(raw)) return true;
    if (/^(false|0)$/i.test(raw)) return false;
    this.problems.push(`${key} must be true or false, got '${raw}'`);
    return fallback;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(key);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${key} must be one of ${allowed.join(', ')}, got '${raw}'`);
    return fallback;
  }

  url(key: string, fallback?: string): string {
    const raw = fallback === undefined ? this.required(key) : this.string(key, fallback);
    if (raw === '') return raw;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
    } catch {
      this.problems.push(`${key} must be an http(s) URL, got '${raw}'`);
    }
    return raw;
  }

  stringMap(key: string): Record<string, string> | undefined {
    const raw = this.optional(key);
    if (raw === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        Object.values(parsed).every((v) => typeof v === 'string')
      ) {
        return parsed as Record<string, string>;
      }
    } catch {
      // fall through to the problem below
    }
    this.problems.push(`${key} must be a JSON object of string values (model tags), got '${raw}'`);
    return undefined;
  }
}

const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function readTrainingContainer(r: Reader): string {
  const trainingContainer = r.string('TRAINING_CONTAINER', 'training-data');
  if (!CONTAINER_NAME.test(trainingContainer)) {
    r.problems.push(
      `TRAINING_CONTAINER must be a valid blob container name (3-63 lowercase letters, digits, single hyphens), got '${trainingContainer}'`,
    );
  }
  return trainingContainer;
}

/** Table names: 3-63 letters and digits, a letter first (Azure Table Storage's rule). */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

function readRunIndexTable(r: Reader): string {
  const table = r.string('RUN_INDEX_TABLE', 'runindex');
  if (!TABLE_NAME.test(table)) {
    r.problems.push(
      `RUN_INDEX_TABLE must be a table name (3-63 letters and digits, a letter first), got '${table}'`,
    );
  }
  return table;
}

/**
 * The table endpoint for identity-based storage (the run index): given, else the account's
 * (`https://<account>.table.core.windows.net`), else the blob URL's with `.blob.` as `.table.`
 * (other clouds); an emulator's path-style blob URL names no table port, so it must be given.
 */
function readTableServiceUrl(
  r: Reader,
  accountName: string | undefined,
  blobUri: string | undefined,
): string {
  if (r.optional('AzureWebJobsStorage__tableServiceUri') !== undefined) {
    return r.url('AzureWebJobsStorage__tableServiceUri');
  }
  if (accountName !== undefined) return `https://${accountName}.table.core.windows.net`;
  const derived = blobUri?.replace(/^(https?:\/\/[^/.]+)\.blob\./, '$1.table.');
  if (derived !== undefined && derived !== blobUri) return derived;
  r.problems.push(
    "AzureWebJobsStorage__tableServiceUri is required: the run index lives in the storage account's tables, and AzureWebJobsStorage__blobServiceUri does not name them",
  );
  return '';
}

function readStorage(r: Reader): StorageSettings {
  const connectionString = r.optional('AzureWebJobsStorage');
  const accountName = r.optional('AzureWebJobsStorage__accountName');
  const serviceUri = r.optional('AzureWebJobsStorage__blobServiceUri');
  const trainingContainer = readTrainingContainer(r);
  const clientId = r.optional('AzureWebJobsStorage__clientId');
  if (connectionString !== undefined) {
    return freeze({ connectionString, trainingContainer, clientId });
  }
  if (serviceUri !== undefined || accountName !== undefined) {
    const blobServiceUrl = serviceUri ?? `https://${accountName}.blob.core.windows.net`;
    const tableServiceUrl = readTableServiceUrl(r, accountName, serviceUri);
    return freeze({ blobServiceUrl, tableServiceUrl, trainingContainer, clientId });
  }
  r.problems.push(
    'AzureWebJobsStorage is required (a connection string), or AzureWebJobsStorage__accountName for identity-based storage',
  );
  return freeze({ trainingContainer });
}

/** The storage account's name from the settings readStorage read (a missing setting is reported there). */
function readStorageAccount(r: Reader): string {
  const connectionString = r.optional('AzureWebJobsStorage');
  const accountName = r.optional('AzureWebJobsStorage__accountName');
  const serviceUri = r.optional('AzureWebJobsStorage__blobServiceUri');
  const [key, name] =
    connectionString !== undefined
      ? ['AzureWebJobsStorage', accountFromConnectionString(connectionString)]
      : accountName !== undefined
        ? ['AzureWebJobsStorage__accountName', accountName]
        : serviceUri !== undefined
          ? ['AzureWebJobsStorage__blobServiceUri', accountFromBlobUrl(serviceUri)]
          : [undefined, undefined];
  if (key === undefined) return '';
  // Account names are lower case; a connection string written otherwise still names the same one.
  const lower = name?.toLowerCase();
  if (lower !== undefined && /^[a-z0-9]{3,24}$/.test(lower)) return lower;
  r.problems.push(
    `${key}: cannot tell the storage account's name (3-24 lower-case letters and digits) from it, got '${name ?? ''}'`,
  );
  return '';
}

/** Azurite's well-known account, which `UseDevelopmentStorage=true` means. */
const DEVELOPMENT_ACCOUNT = 'devstoreaccount1';

function accountFromConnectionString(connectionString: string): string | undefined {
  const parts = new Map(
    connectionString
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part.includes('='))
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).toLowerCase(), part.slice(at + 1)] as const;
      }),
  );
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return DEVELOPMENT_ACCOUNT;
  const named = parts.get('accountname');
  if (named !== undefined) return named;
  const endpoint = parts.get('blobendpoint');
  return endpoint === undefined ? undefined : accountFromBlobUrl(endpoint);
}

/** `https://<account>.blob.core.windows.net` or, for an emulator on an IP or localhost, `http://host:port/<account>`. */
function accountFromBlobUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname;
  const pathStyle = host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  return pathStyle ? parsed.pathname.split('/').find((s) => s !== '') : host.split('.')[0];
}

function readAzureMl(r: Reader): AzureMlSettings {
  return freeze({
    subscriptionId: r.required('AZURE_SUBSCRIPTION_ID'),
    resourceGroup: r.required('AZUREML_RESOURCE_GROUP'),
    workspace: r.required('AZUREML_WORKSPACE'),
    location: r.required('AZUREML_LOCATION'),
    armEndpoint: r.url('ARM_ENDPOINT', 'https://management.azure.com'),
    credential: r.oneOf<CredentialMode>('AZUREML_CREDENTIAL', ['default', 'static'], 'default'),
    clientId: r.optional('AZURE_CLIENT_ID'),
    caCertPath: r.optional('ARM_CA_CERT_PATH'),
    registryDiscoveryUrl: r.url('AZUREML_REGISTRY_DISCOVERY_URL'),
    datastore: r.string('AZUREML_DATASTORE', 'trainingdata'),
  });
}

/**
 * The defaults: a chat model whose fine-tuning is live in the azureml registry (Phi-4; the
 * notebook's Phi-3-mini-4k-instruct was retired for fine-tuning on 2025-08-30), an inference
 * size in its allow list that is not retired, and the pinned component version. Sources:
 * docs/azure-facts.md.
 */
export const DEFAULT_BASE_MODEL = 'Phi-4';
export const DEFAULT_INFERENCE_INSTANCE_TYPE = 'Standard_NC24ads_A100_v4';

/** PIPELINE_COMPONENT must name a version: a label (labels/latest) lets the job's inputs change under a running system. */
function pinnedComponent(r: Reader): string {
  const raw = r.string('PIPELINE_COMPONENT', PINNED_COMPONENT.id);
  if (parseComponentId(raw) === undefined) {
    r.problems.push(
      `PIPELINE_COMPONENT must pin a component version (azureml://registries/<registry>/components/<name>/versions/<version>, e.g. ${PINNED_COMPONENT.id}), got '${raw}'`,
    );
  }
  return raw;
}

function readFineTune(r: Reader): FineTuneSettings {
  const gateMetric = r.optional('GATE_METRIC');
  const gateMax = r.number('GATE_MAX');
  if ((gateMetric === undefined) !== (gateMax === undefined)) {
    r.problems.push('GATE_METRIC and GATE_MAX must be set together (or neither)');
  }
  return freeze({
    computeCluster: r.string('COMPUTE_CLUSTER', 'gpu-cluster'),
    baseModelName: r.string('BASE_MODEL_NAME', DEFAULT_BASE_MODEL),
    baseModelRegistry: r.string('BASE_MODEL_REGISTRY', 'azureml'),
    pipelineComponent: pinnedComponent(r),
    baseModelFallbackId: r.optional('BASE_MODEL_FALLBACK_ID'),
    baseModelFallbackTags: r.stringMap('BASE_MODEL_FALLBACK_TAGS'),
    experimentName: r.string('EXPERIMENT_NAME', `chat_completion_${DEFAULT_BASE_MODEL}`),
    inferenceInstanceType: r.string('INFERENCE_INSTANCE_TYPE', DEFAULT_INFERENCE_INSTANCE_TYPE),
    inferenceInstanceCount: r.integer('INFERENCE_INSTANCE_COUNT', 1, 1, 20),
    jobPollIntervalSeconds: r.integer('JOB_POLL_INTERVAL_SECONDS', 600, 1, 86_400),
    jobDeadlineSeconds: r.integer('JOB_DEADLINE_SECONDS', 172_800, 1, 30 * 86_400),
    gate:
      gateMetric !== undefined && gateMax !== undefined ? { metric: gateMetric, max: gateMax } : undefined,
  });
}

function readTeardown(r: Reader): TeardownSettings {
  return freeze({
    // Metrics come in one-minute buckets: a shorter window still waits for its bucket to pass.
    idleWindowSeconds: r.integer('IDLE_WINDOW_SECONDS', 7200, 1, 30 * 86_400),
    idleGraceSeconds: r.integer('IDLE_GRACE_SECONDS', 3600, 0, 30 * 86_400),
    dryRun: r.boolean('TEARDOWN_DRY_RUN', false),
    maxDeletions: r.integer('TEARDOWN_MAX_DELETIONS', 5, 0, 1000),
    metricsDelaySeconds: r.integer('TEARDOWN_METRICS_DELAY_SECONDS', 300, 0, 86_400),
  });
}

function readLines(r: Reader): LineSettingsConfig {
  return freeze({
    canaryPercent: r.integer('ROLLOUT_CANARY_PERCENT', 0, 0, 99),
    bakeSeconds: r.integer('ROLLOUT_BAKE_SECONDS', 600, 0, 7 * 86_400),
    drainSeconds: r.integer('ROLLOUT_DRAIN_SECONDS', 300, 0, 86_400),
    compare: r.oneOf('ROLLOUT_COMPARE', ['none', 'metrics', 'heldout'] as const, 'none'),
    compareMetric: r.string('ROLLOUT_COMPARE_METRIC', 'eval_loss'),
    idleAction: r.oneOf('IDLE_ACTION', ['park', 'delete'] as const, 'park'),
  });
}

function readEvents(r: Reader): EventSettings {
  const topicEndpoint = r.optional('EVENTS_TOPIC_ENDPOINT');
  if (topicEndpoint !== undefined && !/^https:\/\/[^/]/i.test(topicEndpoint)) {
    // Event Grid takes a bearer token over HTTPS only (and the SDK refuses to send one over http).
    r.problems.push(
      `EVENTS_TOPIC_ENDPOINT must be an https URL (the topic's endpoint), got '${topicEndpoint}'`,
    );
  }
  return freeze({ topicEndpoint, source: r.string('EVENTS_SOURCE', LOCAL_EVENT_SOURCE) });
}

function freeze<T extends object>(value: T): Readonly<T> {
  // Drop undefined optionals so the frozen object prints and compares cleanly.
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return Object.freeze(value);
}

/** Reads and validates every app setting. Throws ConfigError naming each bad or missing key. */
export function loadConfig(env: Env = process.env): AppConfig {
  const r = new Reader(env);
  const config: AppConfig = Object.freeze({
    storage: readStorage(r),
    storageAccount: readStorageAccount(r),
    runIndexTable: readRunIndexTable(r),
    azureMl: readAzureMl(r),
    fineTune: readFineTune(r),
    teardown: readTeardown(r),
    lines: readLines(r),
    events: readEvents(r),
  });
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/**
 * The fine-tune settings alone, for the offline CLI (`autopilot plan`): needs no workspace or
 * storage settings.
 */
export function loadFineTuneSettings(env: Env = process.env): FineTuneSettings {
  const r = new Reader(env);
  const settings = readFineTune(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return settings;
}

export interface PlanSettings {
  readonly fineTune: FineTuneSettings;
  readonly trainingContainer: string;
  readonly datastore: string;
}

/**
 * What the offline `autopilot plan` needs to build a run's job: the fine-tune settings plus the
 * training container (run id) and datastore (data URIs). No workspace or storage settings.
 */
export function loadPlanSettings(env: Env = process.env): PlanSettings {
  const r = new Reader(env);
  const settings: PlanSettings = Object.freeze({
    fineTune: readFineTune(r),
    trainingContainer: readTrainingContainer(r),
    datastore: r.string('AZUREML_DATASTORE', 'trainingdata'),
  });
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return settings;
}

let cached: AppConfig | undefined;

/** The process-wide settings, read on first use (at function start-up). */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}

/**
 * What the operator CLI (`autopilot upload|runs|lines`, src/cli/) reads from its environment:
 * where the HTTP API is and its function key, the local stack's state folder, and storage for
 * uploads. Flags win over these; unset ones are found in the local stack's state file.
 */
export interface CliSettings {
  readonly apiUrl?: string;
  readonly apiKey?: string;
  readonly stateDir?: string;
  readonly storageConnectionString?: string;
  /** Only when TRAINING_CONTAINER is set: otherwise the local stack's, or `training-data`. */
  readonly trainingContainer?: string;
}

export function loadCliSettings(env: Env = process.env): CliSettings {
  const r = new Reader(env);
  const apiUrl = r.optional('AUTOPILOT_URL') === undefined ? undefined : r.url('AUTOPILOT_URL');
  const container = r.optional('TRAINING_CONTAINER') === undefined ? undefined : readTrainingContainer(r);
  const settings = freeze({
    apiUrl,
    apiKey: r.optional('AUTOPILOT_KEY'),
    stateDir: r.optional('AUTOPILOT_STATE_DIR'),
    storageConnectionString: r.optional('AZURE_STORAGE_CONNECTION_STRING'),
    trainingContainer: container,
  });
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return settings;
}
