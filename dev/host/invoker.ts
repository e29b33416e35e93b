// Invokes a registered function the way the Node worker does: through the programming model's
// InvocationModel (getArguments -> invokeFunction -> getResponse), with RPC-shaped inputs, so the
// library itself builds HttpRequest, InvocationContext and extra inputs, and converts the result.
import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  RegisteredFunction,
  RpcInvocationResponse,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './coreApi.js';
import { registry } from './coreApi.js';

export type LogFn = (line: string) => void;

export interface InvocationInput {
  /** Trigger payload, keyed by nothing: it goes to the trigger binding. */
  trigger: RpcTypedData;
  /** Extra input bindings by type (e.g. durableClient), resolved by the host. */
  extraInputs?: Record<string, RpcTypedData>;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Shown in the invocation's log line, e.g. the durable instance id. */
  label?: string;
}

export type InvocationOutcome =
  | { ok: true; invocationId: string; response: RpcInvocationResponse; durationMs: number }
  | { ok: false; invocationId: string; error: unknown; durationMs: number };

export class Invoker {
  /** `extraInputs`: input bindings every function may declare (the durableClient binding value). */
  constructor(
    private readonly log: LogFn,
    private readonly extraInputs: Record<string, RpcTypedData> = {},
  ) {}

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const model = registry.programmingModel;
    if (!model)
      throw new Error('HOST.NO_PROGRAMMING_MODEL: the app registered no functions through @azure/functions');
    const invocationId = randomUUID();
    const name = fn.metadata.name;
    const tag = `${name} [${invocationId}]${input.label ? ` (${input.label})` : ''}`;
    const bindings = fn.metadata.bindings;
    const inputData: RpcParameterBinding[] = [];
    for (const [bindingName, binding] of Object.entries(bindings)) {
      if (binding.direction !== 'in') continue;
      if (binding.type?.endsWith('Trigger')) {
        inputData.push({ name: bindingName, data: input.trigger });
      } else if (binding.type) {
        const data = input.extraInputs?.[binding.type] ?? this.extraInputs[binding.type];
        if (data) inputData.push({ name: bindingName, data });
      }
    }
    let invocationContext: unknown;
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { invocationId, functionId: name, inputData, triggerMetadata: input.triggerMetadata ?? {} },
      metadata: { name, bindings },
      state: 'invocation',
      log: (level: RpcLogLevel, category, message) => {
        // Log hooks (app.hook.log) see, and may rewrite, every line first, as in the worker.
        const init: Record<string, unknown> = {
          hookData: {},
          appHookData,
          level,
          category,
          message,
          invocationContext,
        };
        for (const hook of registry.hooks.get('log') ?? []) void hook(init);
        const finalLevel = init.level as RpcLogLevel;
        if (
          category === 'user' ||
          finalLevel === 'warning' ||
          finalLevel === 'error' ||
          finalLevel === 'critical'
        ) {
          this.log(`${tag} ${finalLevel === 'information' ? '' : finalLevel + ': '}${String(init.message)}`);
        }
      },
    };
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const invocationModel = model.getInvocationModel(coreCtx);
      const { context, inputs } = await invocationModel.getArguments();
      invocationContext = context;
      let callback = fn.callback;
      const hookData: Record<string, unknown> = {};
      for (const hook of registry.hooks.get('preInvocation') ?? []) {
        const hookCtx: Record<string, unknown> = {
          hookData,
          appHookData: appHookData,
          invocationContext: context,
          inputs,
          functionCallback: callback,
        };
        await hook(hookCtx);
        callback = hookCtx.functionCallback as typeof callback;
      }
      let result: unknown;
      let error: unknown;
      try {
        result = await invocationModel.invokeFunction(context, inputs, callback);
      } catch (e) {
        error = e;
      }
      for (const hook of registry.hooks.get('postInvocation') ?? []) {
        const hookCtx: Record<string, unknown> = {
          hookData,
          appHookData,
          invocationContext: context,
          inputs,
          result,
          error,
        };
        coreCtx.state = 'postInvocationHooks';
        await hook(hookCtx);
        result = hookCtx.result;
        error = hookCtx.error;
      }
      // Rethrow whatever the app threw (hooks may have replaced it): it is logged and mapped below.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (error !== undefined) throw error;
      const response = await invocationModel.getResponse(context, result);
      const durationMs = elapsed();
      this.log(`${tag} Succeeded in ${durationMs}ms`);
      return { ok: true, invocationId, response, durationMs };
    } catch (error) {
      const durationMs = elapsed();
      this.log(`${tag} Failed in ${durationMs}ms: ${describeError(error)}`);
      return { ok: false, invocationId, error, durationMs };
    }
  }
}

const appHookData: Record<string, unknown> = {};

export async function runAppHooks(
  name: 'appStart' | 'appTerminate',
  functionAppDirectory: string,
): Promise<void> {
  for (const hook of registry.hooks.get(name) ?? []) {
    await hook({ hookData: appHookData, appHookData, functionAppDirectory });
  }
}

/** First line of an error's message: never a stack trace in a log line or response. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}

/** The value a non-HTTP function returned, decoded from RPC typed data. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json != null) return JSON.parse(data.json);
  if (data.string != null) return data.string;
  if (data.int != null) return data.int;
  if (data.double != null) return data.double;
  if (data.bytes != null) return Buffer.from(data.bytes);
  return undefined;
}
