// The local stack: Azurite, the Azure ML emulator, the local Functions host running the app's
// functions/ unchanged, and the storage-events publisher, wired together the way Azure wires the
// real services (settings point the app at the emulators; Event Grid subscriptions are registered).
// `npm start`, `npm run demo` (dev/cli/) and the end-to-end tests all start exactly this.
//
// The host runs in a child process: @azure/functions keeps its registrations process-global, the
// app reads its settings from the process environment, and a child can be killed and restarted to
// prove that runs resume.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BlobServiceClient } from '@azure/storage-blob';
import { removeStackFile, writeStackFile } from '../src/cli/connection.js';
import { FunctionName, HandledEventTypes } from '../src/names.js';
import { startAzurite, type RunningAzurite } from './azurite.js';
import {
  startEmulator,
  readyLine,
  type EmulatorConfig,
  type EmulatorReadyLine,
  type RunningEmulator,
} from './emulator/index.js';
import { loadOrCreateKeys, redactor, type HostKeys } from './host/keys.js';
import { readLocalSettings } from './host/appFiles.js';
import { httpsRequest } from './httpsClient.js';
import { startStorageEventPublisher, type StorageEventPublisher } from './storageEvents.js';

/**
 * The local Event Grid topic the app publishes its lifecycle events to (dev/emulator/topics.ts);
 * what it received: GET <emulator admin URL>topics/lifecycle/events.
 */
export const LIFECYCLE_TOPIC = 'lifecycle';

export interface StackOptions {
  /** The app folder: package.json, host.json, local.settings*.json, dist/. */
  appDir: string;
  /** Keys, durable history, receipts, certificates; and, when persistent, Azurite and emulator data. */
  stateDir: string;
  /** Keep storage and emulator state on disk so a restart of the stack resumes (npm start). */
  persistent?: boolean;
  hostPort?: number;
  emulatorPort?: number;
  /** Settings on top of local.settings(.sample).json, e.g. short idle windows for the demo. */
  settings?: Record<string, string>;
  emulatorConfig?: Partial<EmulatorConfig>;
  /** Storage event delivery quirks, for tests. */
  storageEvents?: { duplicate?: boolean; delayMs?: number; intervalMs?: number };
  log?: (line: string) => void;
}

/** The `start` ready line (docs/contracts.md "Ready lines"). */
export interface StackReadyLine {
  hostUrl: string;
  functionKey: string;
  storageConnectionString: string;
  trainingContainer: string;
  emulator: EmulatorReadyLine;
}

export interface RunningStack extends StackReadyLine {
  /** Where the stack keeps its state; `stack.json` there tells `autopilot runs|lines|upload` where it is. */
  readonly stateDir: string;
  /** The state file the operator CLI reads (src/cli/connection.ts), removed when the stack stops. */
  readonly stackFile: string;
  readonly emulatorHandle: RunningEmulator;
  readonly keys: HostKeys;
  /** Settings the host runs with (local settings + stack wiring + overrides). */
  readonly settings: Readonly<Record<string, string>>;
  /** SIGKILLs the host process, as a crash would. */
  killHost(): Promise<void>;
  /**
   * Starts the host again on the same port and state. `changedSettings` replace app settings
   * first, as changing a Function App's settings in Azure restarts it with the new values.
   */
  startHost(changedSettings?: Record<string, string>): Promise<void>;
  /**
   * Stops Azurite, waits `downForMs`, and starts it again on the same ports and data folder, as a
   * storage outage would look to the app (persistent stacks only: in memory its data would be lost).
   */
  restartAzurite(options?: { downForMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const stateDir = path.resolve(options.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const local = readLocalSettings(options.appDir).values;
  const trainingContainer =
    options.settings?.TRAINING_CONTAINER ?? local.TRAINING_CONTAINER ?? 'training-data';

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    log('starting Azurite');
    const azuriteOptions = options.persistent
      ? { inMemory: false, location: path.join(stateDir, 'azurite') }
      : { inMemory: true };
    let azurite: RunningAzurite = await startAzurite(azuriteOptions);
    started.push({ stop: () => azurite.stop() });

    log('starting the Azure ML emulator');
    const emulator = await startEmulator({
      port: options.emulatorPort ?? 0,
      stateDir: path.join(stateDir, 'emulator'),
      ...(options.persistent ? { stateFile: path.join(stateDir, 'emulator', 'state.json') } : {}),
      // The local stack's idle teardown needs minutes reported as 0 to have evidence of idleness
      // (see metricsFillGapWithZero in dev/emulator/config.ts: unconfirmed for Azure).
      config: { metricsFillGapWithZero: true, ...options.emulatorConfig },
      log: (line) => log(`emulator: ${line}`),
    });
    started.push(emulator);

    // The lifecycle events topic (infra creates the real one).
    await createTopic(emulator, LIFECYCLE_TOPIC);

    await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(trainingContainer)
      .createIfNotExists();

    const settings: Record<string, string> = {
      ...local,
      AzureWebJobsStorage: azurite.connectionString,
      AZURE_SUBSCRIPTION_ID: emulator.subscriptionId,
      AZUREML_RESOURCE_GROUP: emulator.resourceGroup,
      AZUREML_WORKSPACE: emulator.workspace,
      AZUREML_LOCATION: emulator.location,
      ARM_ENDPOINT: emulator.baseUrl,
      ARM_CA_CERT_PATH: emulator.caCertPath,
      AZUREML_REGISTRY_DISCOVERY_URL: emulator.baseUrl,
      AZUREML_CREDENTIAL: 'static',
      TRAINING_CONTAINER: trainingContainer,
      EVENTS_TOPIC_ENDPOINT: `${emulator.baseUrl}/_topics/${LIFECYCLE_TOPIC}/api/events`,
      ...options.settings,
    };

    const hostStateDir = path.join(stateDir, 'host');
    const keys = loadOrCreateKeys(hostStateDir);
    const redact = redactor(keys);
    const host = new HostProcess(options.appDir, hostStateDir, settings, options.hostPort ?? 0, (line) =>
      log(redact(line)),
    );
    await host.start();
    started.push({ stop: () => host.stop() });

    const webhook = (fn: string): string =>
      `${host.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=${keys.systemKeys.eventgrid_extension}`;

    // The Azure ML system topic's subscription to jobEvents (infra creates the real one).
    await registerEventSubscription(emulator, FunctionName.jobEvents, webhook(FunctionName.jobEvents), [
      ...HandledEventTypes[FunctionName.jobEvents],
    ]);

    // Azurite emits no storage events: the publisher stands in for the storage system topic.
    const publisher: StorageEventPublisher = startStorageEventPublisher({
      connectionString: azurite.connectionString,
      container: trainingContainer,
      prefix: 'incoming/',
      webhookUrl: webhook(FunctionName.datasetUploaded),
      stateDir, // the publisher keeps its receipts under <stateDir>/storage-events/
      subscriptionId: emulator.subscriptionId,
      resourceGroup: emulator.resourceGroup,
      ...(options.storageEvents ?? {}),
      log: (line) => log(`storage-events: ${redact(line)}`),
    });
    started.push(publisher);

    // Last, once everything answers: the operator CLI finds the stack (url, key, storage) here.
    const stackFile = writeStackFile(stateDir, {
      hostUrl: host.url,
      functionKey: keys.functionKey,
      storageConnectionString: azurite.connectionString,
      trainingContainer,
    });
    started.push({ stop: () => Promise.resolve(removeStackFile(stateDir)) });

    return {
      stateDir,
      stackFile,
      hostUrl: host.url,
      functionKey: keys.functionKey,
      storageConnectionString: azurite.connectionString,
      trainingContainer,
      emulator: readyLine(emulator),
      emulatorHandle: emulator,
      keys,
      settings,
      killHost: () => host.kill(),
      restartAzurite: async ({ downForMs = 0 } = {}) => {
        if (!options.persistent)
          throw new Error('restartAzurite needs a persistent stack (its data is in memory)');
        log('stopping Azurite');
        await azurite.stop();
        await new Promise((resolve) => setTimeout(resolve, downForMs));
        azurite = await startAzurite({ ...azuriteOptions, ports: azurite.ports });
        log('Azurite started again');
      },
      startHost: (changedSettings) => {
        Object.assign(settings, changedSettings);
        return host.start();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function registerEventSubscription(
  emulator: RunningEmulator,
  name: string,
  endpointUrl: string,
  eventTypes: string[],
): Promise<void> {
  const response = await httpsRequest(`${emulator.adminUrl}subscriptions/${name}`, {
    ca: emulator.caCert,
    method: 'PUT',
    body: { endpointUrl, eventTypes },
  });
  if (response.status >= 300) {
    throw new Error(
      `could not register the '${name}' event subscription with the emulator: ${response.status} ${response.text}`,
    );
  }
}

async function createTopic(emulator: RunningEmulator, name: string): Promise<void> {
  const response = await httpsRequest(`${emulator.adminUrl}topics/${name}`, {
    ca: emulator.caCert,
    method: 'PUT',
  });
  if (response.status >= 300) {
    throw new Error(
      `could not create the '${name}' topic in the emulator: ${response.status} ${response.text}`,
    );
  }
}

/** The local host in a child process (dev/host/cli.ts), restartable on the same port. */
class HostProcess {
  private child: ChildProcess | undefined;
  url = '';
  private port: number;

  constructor(
    private readonly appDir: string,
    private readonly stateDir: string,
    private readonly settings: Record<string, string>,
    port: number,
    private readonly log: (line: string) => void,
  ) {
    this.port = port;
  }

  async start(): Promise<void> {
    // The compiled host, beside the compiled app it runs (also when this module runs from source in tests).
    const cli = path.join(this.appDir, 'dist', 'dev', 'host', 'cli.js');
    const args = [cli, '--app', this.appDir, '--state', this.stateDir, '--port', String(this.port)];
    for (const [k, v] of Object.entries(this.settings)) args.push('--setting', `${k}=${v}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.appDir });
    this.child = child;
    createInterface({ input: child.stderr }).on('line', (line) => this.log(`host: ${line}`));
    const ready = await new Promise<{ hostUrl: string }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => {
        try {
          resolve(JSON.parse(line) as { hostUrl: string });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`the local host exited (code ${code}) before it was ready`)),
      );
    });
    this.url = ready.hostUrl;
    this.port = Number(new URL(ready.hostUrl).port);
  }

  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.child = undefined;
  }
}
