// The documented Durable Functions HTTP API (the subset the JS DurableClient calls), served both under
// `/runtime/webhooks/durabletask/` (system key required) and on the local RPC endpoint the client's
// `rpcBaseUrl` names (loopback only, no key: as the extension's local gRPC/HTTP endpoint).
import { randomUUID } from 'node:crypto';
import type { DurableEngine } from './engine.js';
import { InstanceExistsError, UnknownOrchestratorError } from './engine.js';
import type { InstanceRecord, InstanceStore, RuntimeStatus } from './store.js';

export interface ApiRequest {
  method: string;
  /** Path segments after the `durabletask/` prefix, URL-decoded. */
  segments: string[];
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export const CONTINUATION_HEADER = 'x-ms-continuation-token';
export const DEFAULT_PAGE_SIZE = 100;
const ID_PLACEHOLDER = 'INSTANCEID';

export interface DurableUrls {
  /** e.g. http://127.0.0.1:7071/runtime/webhooks/durabletask */
  webhookBase: string;
  /** e.g. http://127.0.0.1:17071/durabletask/ */
  rpcBase: string;
  systemKey: string;
  hubName: string;
}

/** The `durableClient` input binding value: what the extension hands to `df.getClient(context)`. */
export function durableClientBindingData(urls: DurableUrls): Record<string, unknown> {
  const q = `taskHub=${encodeURIComponent(urls.hubName)}&connection=Storage&code=${encodeURIComponent(urls.systemKey)}`;
  const b = urls.webhookBase;
  return {
    taskHubName: urls.hubName,
    creationUrls: {
      createNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?code=${encodeURIComponent(urls.systemKey)}`,
      createAndWaitOnNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${encodeURIComponent(urls.systemKey)}`,
    },
    managementUrls: managementUrls(urls, ID_PLACEHOLDER, q),
    baseUrl: b,
    requiredQueryStringParameters: q,
    rpcBaseUrl: urls.rpcBase,
    httpBaseUrl: b,
  };
}

function managementUrls(urls: DurableUrls, id: string, q: string): Record<string, string> {
  const i = `${urls.webhookBase}/instances/${id}`;
  return {
    id,
    purgeHistoryDeleteUri: `${i}?${q}`,
    restartPostUri: `${i}/restart?${q}`,
    resumePostUri: `${i}/resume?reason={text}&${q}`,
    rewindPostUri: `${i}/rewind?reason={text}&${q}`,
    sendEventPostUri: `${i}/raiseEvent/{eventName}?${q}`,
    statusQueryGetUri: `${i}?${q}`,
    suspendPostUri: `${i}/suspend?reason={text}&${q}`,
    terminatePostUri: `${i}/terminate?reason={text}&${q}`,
  };
}

export function statusBody(record: InstanceRecord, showInput = true): Record<string, unknown> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: showInput ? (JSON.parse(record.input) as unknown) : null,
    customStatus: record.customStatus ?? null,
    output: record.output ?? null,
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
  };
}

/** `pageSize`: instances per page of a list without `top` (the client follows continuation tokens). */
export function createDurableApi(
  engine: DurableEngine,
  store: InstanceStore,
  urls: DurableUrls,
  pageSize = DEFAULT_PAGE_SIZE,
) {
  const q = `taskHub=${encodeURIComponent(urls.hubName)}&connection=Storage&code=${encodeURIComponent(urls.systemKey)}`;
  const error = (status: number, message: string): ApiResponse => ({ status, body: { Message: message } });

  return async function handle(req: ApiRequest): Promise<ApiResponse> {
    const [head, id, action, extra] = req.segments;
    const method = req.method.toUpperCase();
    if (head === 'orchestrators' && id && method === 'POST' && req.segments.length <= 3) {
      const instanceId = action ?? randomUUID().replace(/-/g, '');
      const text = req.body.trim();
      const inputJson = text === '' ? 'null' : text;
      try {
        JSON.parse(inputJson);
      } catch {
        return error(400, 'The request body is not valid JSON');
      }
      if (instanceId.includes('/') || instanceId.length > 100)
        return error(400, 'The instance ID is not valid');
      try {
        await engine.start(id, instanceId, inputJson);
      } catch (e) {
        if (e instanceof InstanceExistsError) return error(409, e.message);
        if (e instanceof UnknownOrchestratorError) return error(400, e.message);
        throw e;
      }
      const payload = managementUrls(urls, instanceId, q);
      const { id: _placeholder, ...links } = payload;
      return {
        status: 202,
        headers: { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' },
        body: { id: instanceId, ...links },
      };
    }
    if (head !== 'instances') return error(404, 'Not found');

    if (!id) {
      if (method === 'GET') return list(req);
      if (method === 'DELETE') return purgeBy(req);
      return error(405, 'Method not allowed');
    }
    if (action === undefined) {
      if (method === 'GET') {
        const record = store.get(id);
        if (!record) return { status: 404 };
        const body = statusBody(record, req.query.get('showInput') !== 'false');
        if (req.query.get('showHistory') === 'true') body.historyEvents = record.history;
        const running = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'].includes(record.runtimeStatus);
        const failed500 =
          record.runtimeStatus === 'Failed' && req.query.get('returnInternalServerErrorOnFailure') === 'true';
        return { status: running ? 202 : failed500 ? 500 : 200, body };
      }
      if (method === 'DELETE') {
        return (await engine.purge(id))
          ? { status: 200, body: { instancesDeleted: 1 } }
          : error(404, 'No instance found');
      }
      return error(405, 'Method not allowed');
    }
    if (method !== 'POST') return error(405, 'Method not allowed');
    if (action === 'raiseEvent' && extra) {
      const text = req.body.trim();
      const inputJson = text === '' ? 'null' : text;
      try {
        JSON.parse(inputJson);
      } catch {
        return error(400, 'The event payload is not valid JSON');
      }
      return outcomeResponse(await engine.raiseEvent(id, extra, inputJson));
    }
    if (action === 'terminate') {
      return outcomeResponse(await engine.terminate(id, req.query.get('reason') ?? ''));
    }
    if (action === 'suspend') return outcomeResponse(await engine.suspend(id));
    if (action === 'resume') return outcomeResponse(await engine.resume(id));
    return error(501, `The local host does not implement '${action}'`);
  };

  function outcomeResponse(outcome: 'ok' | 'notFound' | 'gone'): ApiResponse {
    if (outcome === 'notFound') return error(404, 'No instance with this ID was found');
    if (outcome === 'gone') return error(410, 'The instance is not running');
    return { status: 202 };
  }

  function filtered(req: ApiRequest): InstanceRecord[] {
    const statuses = (req.query.get('runtimeStatus') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '') as RuntimeStatus[];
    const from = req.query.get('createdTimeFrom');
    const to = req.query.get('createdTimeTo');
    return store
      .all()
      .filter((r) => statuses.length === 0 || statuses.includes(r.runtimeStatus))
      .filter((r) => !from || r.createdTime >= new Date(from).toISOString())
      .filter((r) => !to || r.createdTime <= new Date(to).toISOString())
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.instanceId.localeCompare(b.instanceId));
  }

  function list(req: ApiRequest): ApiResponse {
    const all = filtered(req);
    const top = Number(req.query.get('top') ?? pageSize);
    const size = Number.isInteger(top) && top > 0 ? top : pageSize;
    const tokenHeader = req.headers[CONTINUATION_HEADER];
    const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
    let start = 0;
    if (token) {
      const after = Buffer.from(token, 'base64url').toString('utf8');
      start = all.findIndex((r) => `${r.createdTime}|${r.instanceId}` > after);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + size);
    const last = page[page.length - 1];
    const headers: Record<string, string> = {};
    if (last && start + size < all.length) {
      headers[CONTINUATION_HEADER] = Buffer.from(`${last.createdTime}|${last.instanceId}`).toString(
        'base64url',
      );
    }
    return {
      status: 200,
      headers,
      body: page.map((r) => statusBody(r, req.query.get('showInput') !== 'false')),
    };
  }

  async function purgeBy(req: ApiRequest): Promise<ApiResponse> {
    let deleted = 0;
    for (const r of filtered(req)) if (await engine.purge(r.instanceId)) deleted++;
    return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
  }
}
