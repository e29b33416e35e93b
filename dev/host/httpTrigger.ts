// HTTP triggers: `/<routePrefix>/<route>` with methods and authLevel as the Functions host applies them.
import type http from 'node:http';
import type { RegisteredFunction, RpcBindingInfo, RpcHttpData } from './coreApi.js';
import type { Invoker } from './invoker.js';
import type { HostKeys } from './keys.js';
import type { RouteTemplate } from './routes.js';
import { parseRoute } from './routes.js';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpRoute {
  fn: RegisteredFunction;
  route: RouteTemplate;
  /** Upper case; empty = any method. */
  methods: string[];
  authLevel: AuthLevel;
}

export function buildHttpRoutes(
  functions: Map<string, RegisteredFunction>,
  routePrefix: string,
  log: (line: string) => void,
): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of functions.values()) {
    const trigger = httpTriggerBinding(fn);
    if (!trigger) continue;
    const routeText =
      typeof trigger.route === 'string' && trigger.route !== '' ? trigger.route : fn.metadata.name;
    const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
    const methods = Array.isArray(trigger.methods)
      ? (trigger.methods as string[]).map((m) => m.toUpperCase())
      : [];
    const authLevel = (
      typeof trigger.authLevel === 'string' ? trigger.authLevel.toLowerCase() : 'function'
    ) as AuthLevel;
    routes.push({ fn, route: parseRoute(prefix ? `${prefix}/${routeText}` : routeText), methods, authLevel });
    log(
      `http: ${methods.length ? methods.join(',') : 'ANY'} /${prefix ? prefix + '/' : ''}${routeText} -> ${fn.metadata.name} (${authLevel})`,
    );
  }
  // Literal-heavy templates first, so `runs/{id}/cancel` wins over `runs/{*rest}`.
  return routes.sort((a, b) => specificity(b.route.template) - specificity(a.route.template));
}

function specificity(template: string): number {
  return template.split('/').reduce((n, s) => n + (s.startsWith('{*') ? 0 : s.startsWith('{') ? 1 : 2), 0);
}

function httpTriggerBinding(fn: RegisteredFunction): RpcBindingInfo | undefined {
  return Object.values(fn.metadata.bindings).find((b) => b.type === 'httpTrigger' && b.direction === 'in');
}

export interface HttpTriggerRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  body: Buffer;
  routes: HttpRoute[];
  invoker: Invoker;
  keys: HostKeys;
}

export async function handleHttpTrigger(r: HttpTriggerRequest): Promise<void> {
  const method = (r.req.method ?? 'GET').toUpperCase();
  const segments = r.url.pathname.split('/').filter((s) => s !== '');
  let matched: { route: HttpRoute; params: Record<string, string> } | undefined;
  for (const route of r.routes) {
    if (route.methods.length > 0 && !route.methods.includes(method)) continue;
    const params = route.route.match(segments);
    if (params) {
      matched = { route, params };
      break;
    }
  }
  if (!matched) {
    r.res.writeHead(404).end();
    return;
  }
  const { route, params } = matched;
  if (!authorized(route.authLevel, r)) {
    // The app's JSON error shape (docs/contracts.md "HTTP API"); the code is the app's
    // REQUEST.UNAUTHORIZED, written here as a literal because dev/ never imports src/.
    const level = route.authLevel === 'admin' ? 'the master key' : 'a function key';
    r.res.writeHead(401, { 'Content-Type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        error: {
          code: 'REQUEST.UNAUTHORIZED',
          message: `this route needs ${level}: send it in the x-functions-key header or the code query parameter`,
        },
      }),
    );
    return;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of r.url.searchParams) query[k] = v;
  const httpData: RpcHttpData = {
    method,
    url: r.url.href,
    headers,
    query,
    params,
    body: { bytes: r.body },
  };
  const outcome = await r.invoker.invoke(route.fn, {
    trigger: { http: httpData },
  });
  if (!outcome.ok) {
    r.res.writeHead(500).end();
    return;
  }
  const out = outcome.response.returnValue?.http;
  if (!out) {
    r.res.writeHead(204).end();
    return;
  }
  const status = Number(out.statusCode ?? 200);
  const body = out.body?.bytes
    ? Buffer.from(out.body.bytes)
    : out.body?.string
      ? Buffer.from(out.body.string)
      : undefined;
  r.res.writeHead(status, { ...(out.headers ?? {}) });
  r.res.end(body);
}

function authorized(level: AuthLevel, r: HttpTriggerRequest): boolean {
  if (level === 'anonymous') return true;
  const headerKey = r.req.headers['x-functions-key'];
  const key = (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? r.url.searchParams.get('code');
  if (!key) return false;
  if (key === r.keys.masterKey) return true;
  return level === 'function' && key === r.keys.functionKey;
}
