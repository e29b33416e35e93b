// The `@azure/functions-core` module the Azure Functions Node worker injects into an app's process.
// `@azure/functions` v4 requires it to register functions, hooks and its programming model; outside the
// worker that require fails and the library drops to "test mode" (registrations are skipped). The host
// provides the same API and makes `require('@azure/functions-core')` resolve to it.
import { createRequire } from 'node:module';

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  name?: string;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  cookies?: unknown[] | null;
  enableContentNegotiation?: boolean | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: { name?: string | null; bindings?: Record<string, RpcBindingInfo> | null };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
  getCapabilities?(workerCapabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

class Disposable {
  readonly #onDispose: () => void;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  static from(...items: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.#onDispose();
  }
}

/** Everything the app registered, as the worker would see it. One per process (the library is process-global). */
export interface CoreRegistry {
  functions: Map<string, RegisteredFunction>;
  hooks: Map<string, HookCallback[]>;
  programmingModel: ProgrammingModel | undefined;
  /** System log lines from the library (e.g. deprecation warnings). */
  onSystemLog: (level: RpcLogLevel, message: string) => void;
}

export const registry: CoreRegistry = {
  functions: new Map(),
  hooks: new Map(),
  programmingModel: undefined,
  onSystemLog: () => undefined,
};

export class DuplicateFunctionError extends Error {
  constructor(name: string) {
    super(`HOST.DUPLICATE_FUNCTION: a function named "${name}" is already registered`);
  }
}

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.0.0-local',
  Disposable,
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (registry.functions.has(metadata.name)) throw new DuplicateFunctionError(metadata.name);
    registry.functions.set(metadata.name, { metadata, callback });
    return new Disposable(() => registry.functions.delete(metadata.name));
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    const list = registry.hooks.get(hookName) ?? [];
    list.push(callback);
    registry.hooks.set(hookName, list);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  },
  setProgrammingModel(model: ProgrammingModel): void {
    registry.programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return registry.programmingModel;
  },
  log(level: RpcLogLevel, _category: RpcLogCategory, message: string): void {
    registry.onSystemLog(level, message);
  },
};

export const CORE_MODULE_ID = '@azure/functions-core';
let installed = false;

/** Makes `require('@azure/functions-core')` (from CommonJS `@azure/functions`) return the host's API. */
export function installCoreApi(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = Module._load;
  Module._load = function load(this: unknown, request: string, ...rest: unknown[]): unknown {
    if (request === CORE_MODULE_ID) return coreApi;
    return originalLoad.call(this, request, ...rest);
  };
  installed = true;
}
