// Request dispatch: request id, routing, bearer auth, api-version, workspace scope, injected faults,
// then the handler; every answer is JSON with ARM's error shape.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminRoutes } from './admin.js';
import { armRoutes } from './arm.js';
import type { Core, Route } from './core.js';
import { dataRoutes } from './data.js';
import { ArmError, parseJson, readBody, send, type Reply } from './http.js';
import { topicRoutes } from './topics.js';

const routes: Route[] = [...adminRoutes, ...armRoutes, ...dataRoutes, ...topicRoutes];

export type TokenCheck = (token: string) => boolean;

function authenticate(req: IncomingMessage, acceptToken: TokenCheck): void {
  const header = req.headers.authorization;
  const challenge = {
    'www-authenticate':
      'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
  };
  if (header === undefined || header === '') {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      [],
      challenge,
    );
  }
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (token === undefined) {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      [],
      challenge,
    );
  }
  if (!acceptToken(token)) {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', [], challenge);
  }
}

function checkApiVersion(route: Route, query: URLSearchParams): void {
  if (route.apiVersions === undefined) return;
  const version = query.get('api-version');
  if (version === null || version === '') {
    throw new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  if (!route.apiVersions.includes(version)) {
    throw new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions are '${route.apiVersions.join(',')}'.`,
    );
  }
}

function checkScope(core: Core, route: Route, params: string[]): void {
  const c = core.config;
  const [sub, second, third] = params;
  if (route.scope === 'none') return;
  if (sub !== c.subscriptionId)
    throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  if (route.scope === 'location') {
    if (second?.replace(/\s/g, '').toLowerCase() !== c.location.toLowerCase()) {
      throw new ArmError(
        400,
        'LocationNotAvailableForResourceType',
        `Location '${second}' is not available for this emulator (it serves '${c.location}').`,
      );
    }
    return;
  }
  if (second?.toLowerCase() !== c.resourceGroup.toLowerCase())
    throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${second}' could not be found.`);
  if (third?.toLowerCase() !== c.workspace.toLowerCase()) {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.MachineLearningServices/workspaces/${third}' under resource group '${second}' was not found.`,
    );
  }
}

function match(
  method: string,
  path: string,
): { route: Route; params: string[] } | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method === method)
      return {
        route,
        params: m.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p))),
      };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createHandler(core: Core, acceptToken: TokenCheck) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const common = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id':
        (req.headers['x-ms-correlation-request-id'] as string | undefined) ?? requestId,
      ...(req.headers['x-ms-client-request-id']
        ? { 'x-ms-client-request-id': String(req.headers['x-ms-client-request-id']) }
        : {}),
    };
    let reply: Reply;
    // Not `new URL(req.url, base)`: the monitor client joins "/{resourceUri}" with a resource id that
    // starts with "/", and "//subscriptions/..." would parse as a host. ARM folds the double slash.
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path =
      (queryAt < 0 ? raw : raw.slice(0, queryAt)).replace(/\/{2,}/g, '/').replace(/\/$/, '') || '/';
    const url = { searchParams: new URLSearchParams(queryAt < 0 ? '' : raw.slice(queryAt + 1)) };
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const found = match(method, path);
      if (found === undefined) throw new ArmError(404, 'NotFound', `No route for ${method} ${path}.`);
      if ('methodNotAllowed' in found)
        throw new ArmError(
          405,
          'MethodNotAllowed',
          `The requested method ${method} is not allowed for ${path}.`,
        );
      const { route, params } = found;
      if (route.auth === 'arm') authenticate(req, acceptToken);
      checkApiVersion(route, url.searchParams);
      checkScope(core, route, params);
      const body = parseJson(await readBody(req));
      if (route.operation !== undefined) {
        const delay = core.faults.takeDelay(route.operation);
        if (delay) await sleep(delay.delayMs);
        const status = core.faults.takeStatus(route.operation);
        if (status) {
          const headers: Record<string, string> =
            status.retryAfterSeconds === undefined ? {} : { 'retry-after': String(status.retryAfterSeconds) };
          const code =
            status.status === 429
              ? 'TooManyRequests'
              : status.status >= 500
                ? 'InternalServerError'
                : 'BadRequest';
          throw new ArmError(
            status.status,
            code,
            status.message ?? `Injected fault on ${route.operation}.`,
            [],
            headers,
          );
        }
      }
      core.advance();
      reply = await route.handle({ core, params, query: url.searchParams, body, headers: req.headers });
    } catch (error) {
      if (error instanceof ArmError) {
        reply = { status: error.status, body: error.body(), headers: error.headers };
      } else {
        core.log(`internal error on ${method} ${path}: ${(error as Error).message}`);
        reply = {
          status: 500,
          body: new ArmError(
            500,
            'InternalServerError',
            'The emulator hit an internal error; see its log.',
          ).body(),
        };
      }
    }
    send(res, { ...reply, headers: { ...reply.headers, ...common } });
  };
}
