// The local Functions host: loads an app's `functions/` the way the Azure Functions Node worker does and
// serves its HTTP triggers, the Durable HTTP API, the Event Grid webhook, timers and orchestrations.
// One host per process: @azure/functions keeps its registrations process-global.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readHostJson, readLocalSettings, resolveMainFiles, resolvePlaceholders } from './appFiles.js';
import type { RegisteredFunction } from './coreApi.js';
import { installCoreApi, registry } from './coreApi.js';
import { createDurableApi, durableClientBindingData } from './durable/api.js';
import type { ApiRequest, ApiResponse } from './durable/api.js';
import { DurableEngine } from './durable/engine.js';
import { InstanceStore } from './durable/store.js';
import { handleEventGrid } from './eventGrid.js';
import { buildHttpRoutes, handleHttpTrigger } from './httpTrigger.js';
import { Invoker, runAppHooks } from './invoker.js';
import type { HostKeys } from './keys.js';
import { loadOrCreateKeys, redactor } from './keys.js';
import { startTimers } from './timers.js';

export interface StartHostOptions {
  /** Folder holding package.json (whose `main` names the function files), host.json, local.settings*.json. */
  appDir: string;
  port?: number;
  /** Keys, durable instances, timer status: kept across restarts. */
  stateDir: string;
  /** Settings on top of local.settings.json `Values`. */
  settings?: Record<string, string>;
  activityConcurrency?: number;
  /** Instances per page when the Durable API lists without `top` (default 100). */
  durableListPageSize?: number;
  log?: (line: string) => void;
}

export interface RunningHost {
  /** http://127.0.0.1:<port> */
  url: string;
  functionKey: string;
  masterKey: string;
  systemKeys: HostKeys['systemKeys'];
  /** Names of the functions the app registered. */
  functions: string[];
  eventGridWebhookUrl(functionName: string): string;
  stop(): Promise<void>;
}

const DEFAULT_HUB = 'TestHubName';
const DEFAULT_ACTIVITY_CONCURRENCY = 4;
const LOOPBACK = '127.0.0.1';
export const DURABLE_WEBHOOK_PREFIX = '/runtime/webhooks/durabletask';
export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';
const RPC_PREFIX = '/durabletask/';

let started = false;

export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  if (started)
    throw new Error(
      'HOST.ALREADY_STARTED: one local host per process (@azure/functions registrations are global)',
    );
  started = true;
  const appDir = path.resolve(options.appDir);
  mkdirSync(options.stateDir, { recursive: true });
  const keys = loadOrCreateKeys(options.stateDir);
  const redact = redactor(keys);
  const sink = options.log ?? ((line: string) => console.log(line));
  const log = (line: string): void => sink(`${new Date().toISOString()} ${redact(line)}`);

  // Settings first: the app may read them while its modules load.
  const local = readLocalSettings(appDir);
  for (const [k, v] of Object.entries({ ...local.values, ...options.settings })) process.env[k] = v;

  const server = http.createServer();
  const rpcServer = http.createServer();
  await Promise.all([listen(server, options.port ?? 0), listen(rpcServer, 0)]);
  const url = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`;
  const rpcBase = `http://${LOOPBACK}:${(rpcServer.address() as AddressInfo).port}${RPC_PREFIX}`;
  // durable-functions rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host.
  process.env.WEBSITE_HOSTNAME = url.slice('http://'.length);

  const env = (): Record<string, string | undefined> => process.env;
  const hostJson = readHostJson(appDir, (v, where) => resolvePlaceholders(v, env(), where));

  installCoreApi();
  registry.onSystemLog = (level, message) => {
    if (level === 'warning' || level === 'error' || level === 'critical')
      log(`[worker] ${level}: ${message}`);
  };
  for (const file of resolveMainFiles(appDir)) {
    try {
      await import(pathToFileURL(file).href);
    } catch (e) {
      await closeAll([server, rpcServer]);
      throw new Error(`HOST.APP_LOAD_FAILED: ${path.relative(appDir, file)}: ${(e as Error).message}`);
    }
  }
  // The worker asks the library for its capabilities once loaded; HTTP streaming would need the
  // library's own proxy in front of every request, which this host does not provide.
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};
  if ('HttpUri' in capabilities) {
    await closeAll([server, rpcServer]);
    throw new Error(
      'HOST.HTTP_STREAM_UNSUPPORTED: the app enables HTTP streams (app.setup), which the local host does not serve',
    );
  }
  const functions = registry.functions;
  for (const fn of functions.values()) resolveBindingSettings(fn);

  const hubName = hostJson.hubName ?? DEFAULT_HUB;
  const urls = {
    webhookBase: `${url}${DURABLE_WEBHOOK_PREFIX}`,
    rpcBase,
    systemKey: keys.systemKeys.durabletask_extension,
    hubName,
  };
  // Any function (HTTP, Event Grid, timer) may take a durableClient input.
  const invoker = new Invoker(log, {
    durableClient: { json: JSON.stringify(durableClientBindingData(urls)) },
  });
  const store = new InstanceStore(options.stateDir, hubName);
  const engine = new DurableEngine({
    store,
    invoker,
    functions,
    activityConcurrency: options.activityConcurrency ?? DEFAULT_ACTIVITY_CONCURRENCY,
    log,
  });
  const durableApi = createDurableApi(engine, store, urls, options.durableListPageSize);
  const routes = buildHttpRoutes(functions, hostJson.routePrefix, log);

  for (const fn of functions.values()) {
    const trigger = Object.values(fn.metadata.bindings).find(
      (b) => b.direction === 'in' && b.type?.endsWith('Trigger'),
    );
    const supported = [
      'httpTrigger',
      'eventGridTrigger',
      'timerTrigger',
      'orchestrationTrigger',
      'activityTrigger',
    ];
    if (!trigger?.type || !supported.includes(trigger.type)) {
      log(
        `warning: ${fn.metadata.name}: trigger type ${trigger?.type ?? '(none)'} is not run by the local host`,
      );
    }
    for (const [name, b] of Object.entries(fn.metadata.bindings)) {
      const handled =
        b === trigger || b.type === 'durableClient' || (b.type === 'http' && b.direction === 'out');
      const returnValue = name === '$return' && trigger?.type !== 'httpTrigger';
      if (!handled && !returnValue) {
        log(
          `warning: ${fn.metadata.name}: ${b.direction ?? ''} binding ${name} (${b.type ?? '?'}) is not supported locally`,
        );
      }
    }
  }

  server.on('request', (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const reqUrl = new URL(req.url ?? '/', url);
        const pathname = reqUrl.pathname;
        if (pathname === EVENT_GRID_WEBHOOK_PATH) {
          send(res, await handleEventGrid({ req, url: reqUrl, body, functions, invoker, keys }));
        } else if (pathname.startsWith(`${DURABLE_WEBHOOK_PREFIX}/`)) {
          const code = reqUrl.searchParams.get('code') ?? header(req, 'x-functions-key');
          if (code !== keys.systemKeys.durabletask_extension && code !== keys.masterKey) {
            send(res, { status: 401 });
            return;
          }
          send(res, await durableApi(apiRequest(req, reqUrl, body, DURABLE_WEBHOOK_PREFIX.length + 1)));
        } else {
          await handleHttpTrigger({ req, res, url: reqUrl, body, routes, invoker, keys });
        }
      } catch (e) {
        log(
          `host error on ${req.method ?? ''} ${new URL(req.url ?? '/', url).pathname}: ${(e as Error).message}`,
        );
        if (!res.headersSent) send(res, { status: 500 });
      }
    })();
  });
  rpcServer.on('request', (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const reqUrl = new URL(req.url ?? '/', rpcBase);
        if (!reqUrl.pathname.startsWith(RPC_PREFIX)) {
          send(res, { status: 404 });
          return;
        }
        send(res, await durableApi(apiRequest(req, reqUrl, body, RPC_PREFIX.length)));
      } catch (e) {
        log(`host error on durable RPC: ${(e as Error).message}`);
        if (!res.headersSent) send(res, { status: 500 });
      }
    })();
  });

  let timers: { stop(): void };
  try {
    timers = startTimers({ functions, invoker, stateDir: options.stateDir, log });
  } catch (e) {
    await closeAll([server, rpcServer]);
    throw e;
  }
  engine.resumeAll();
  await runAppHooks('appStart', appDir);
  log(`host ready at ${url}: ${[...functions.keys()].join(', ')}`);
  log(
    `keys (function, master, system) are kept in ${path.join(path.resolve(options.stateDir), 'keys.json')}`,
  );

  return {
    url,
    functionKey: keys.functionKey,
    masterKey: keys.masterKey,
    systemKeys: keys.systemKeys,
    functions: [...functions.keys()],
    eventGridWebhookUrl: (fn) =>
      `${url}${EVENT_GRID_WEBHOOK_PATH}?functionName=${encodeURIComponent(fn)}&code=${encodeURIComponent(keys.systemKeys.eventgrid_extension)}`,
    async stop() {
      timers.stop();
      await closeAll([server, rpcServer]);
      await engine.stop();
      await runAppHooks('appTerminate', appDir);
    },
  };
}

function resolveBindingSettings(fn: RegisteredFunction): void {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    for (const [key, value] of Object.entries(binding)) {
      if (typeof value === 'string' && value.includes('%')) {
        binding[key] = resolvePlaceholders(
          value,
          process.env,
          `function ${fn.metadata.name} binding ${name} property ${key}`,
        );
      }
    }
  }
}

function apiRequest(req: http.IncomingMessage, url: URL, body: Buffer, prefixLength: number): ApiRequest {
  return {
    method: req.method ?? 'GET',
    segments: url.pathname
      .slice(prefixLength)
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s)),
    query: url.searchParams,
    headers: req.headers,
    body: body.toString('utf8'),
  };
}

export function send(res: http.ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
}

async function closeAll(servers: http.Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) {
            resolve();
            return;
          }
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
}
