// Azure ML emulator, embeddable: `startEmulator()` starts the HTTPS server and returns what a client
// needs (base URL, CA certificate, identity) and `stop()`. `npm run emulator` (dev/cli/emulator.ts)
// and the local stack call exactly this.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { resolveConfig, type EmulatorConfig } from './config.js';
import { Core } from './core.js';
import { createHandler } from './server.js';
import { loadState, type SubscriptionRecord } from './state.js';
import { loadOrCreateCertificate } from './tls.js';

export type { EmulatorConfig } from './config.js';
export { defaultConfig } from './config.js';
export { OPERATIONS } from './faults.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** Where the certificate (ca.pem) lives; default `.autopilot/emulator` under the working directory. */
  stateDir?: string;
  /** Persist jobs, endpoints and the rest here; in memory only when omitted. */
  stateFile?: string;
  config?: Partial<EmulatorConfig> | string;
  /** Which bearer tokens ARM calls may carry; any non-empty token by default. */
  acceptToken?: (token: string) => boolean;
  log?: (line: string) => void;
}

/** The fields of the ready line (docs/contracts.md "Ready lines"). */
export interface EmulatorReadyLine {
  baseUrl: string;
  caCertPath: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  adminUrl: string;
}

export interface RunningEmulator extends EmulatorReadyLine {
  caCert: string;
  stop(): Promise<void>;
}

export const DEFAULT_PORT = 7072;
export const DEFAULT_STATE_DIR = join('.autopilot', 'emulator');
/** How often the clock is checked for due operations and job events. */
const TICK_MS = 50;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const log = options.log ?? (() => undefined);
  const config = resolveConfig(options.config);
  const certificate = await loadOrCreateCertificate(stateDir, host);
  const state = loadState(options.stateFile, config.clock);
  const core = new Core(config, state, options.stateFile, log);
  for (const spec of config.faults) core.faults.add(spec);
  for (const [name, seed] of Object.entries(config.subscriptions)) {
    const existing = state.subscriptions[name];
    const record: SubscriptionRecord = existing ?? {
      name,
      validated: false,
      delivered: 0,
      failedAttempts: 0,
      dropped: 0,
      deadLettered: 0,
      ...seed,
    };
    state.subscriptions[name] = {
      ...record,
      endpointUrl: seed.endpointUrl,
      ...(seed.eventTypes ? { eventTypes: seed.eventTypes } : {}),
    };
  }

  const handler = createHandler(core, options.acceptToken ?? ((t) => t.length > 0));
  const server: Server = createServer(
    { cert: certificate.cert, key: certificate.key },
    (req, res) => void handler(req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  core.baseUrl = `https://${urlHost}:${port}`;
  const ticker = setInterval(() => core.advance(), TICK_MS);
  ticker.unref();
  log(`Azure ML emulator listening on ${core.baseUrl}`);

  let stopped: Promise<void> | undefined;
  return {
    baseUrl: core.baseUrl,
    caCertPath: certificate.caCertPath,
    caCert: certificate.cert,
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    workspace: config.workspace,
    location: config.location,
    adminUrl: `${core.baseUrl}/_emulator/`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(ticker);
        core.delivery.stop();
        core.persist();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** The ready line: exactly the fields of docs/contracts.md "Ready lines", in order. */
export function readyLine(emulator: RunningEmulator): EmulatorReadyLine {
  const { baseUrl, caCertPath, subscriptionId, resourceGroup, workspace, location, adminUrl } = emulator;
  return { baseUrl, caCertPath, subscriptionId, resourceGroup, workspace, location, adminUrl };
}
