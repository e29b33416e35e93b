// The Event Grid extension's webhook: `/runtime/webhooks/eventgrid?functionName=<fn>&code=<system key>`.
// SubscriptionValidation answers the handshake; Notification invokes the function once per event and
// answers 500 if any invocation failed, so the sender retries the delivery.
import type http from 'node:http';
import type { ApiResponse } from './durable/api.js';
import type { RegisteredFunction } from './coreApi.js';
import type { Invoker } from './invoker.js';
import type { HostKeys } from './keys.js';

export interface EventGridRequest {
  req: http.IncomingMessage;
  url: URL;
  body: Buffer;
  functions: Map<string, RegisteredFunction>;
  invoker: Invoker;
  keys: HostKeys;
}

const VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

export async function handleEventGrid(r: EventGridRequest): Promise<ApiResponse> {
  if ((r.req.method ?? '').toUpperCase() !== 'POST') return { status: 405 };
  const code = r.url.searchParams.get('code') ?? r.req.headers['x-functions-key'];
  if (code !== r.keys.systemKeys.eventgrid_extension && code !== r.keys.masterKey) return { status: 401 };
  const name = r.url.searchParams.get('functionName') ?? '';
  const fn = r.functions.get(name);
  const isEventGrid = fn && Object.values(fn.metadata.bindings).some((b) => b.type === 'eventGridTrigger');
  if (!fn || !isEventGrid) return { status: 404, body: { error: `No Event Grid function named '${name}'` } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body.toString('utf8'));
  } catch {
    return { status: 400, body: { error: 'The body is not JSON' } };
  }
  const events = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  const kind = String(r.req.headers['aeg-event-type'] ?? '');
  if (kind === 'SubscriptionValidation') {
    const validation = events.find((e) => e.eventType === VALIDATION_EVENT);
    const data = validation?.data as { validationCode?: unknown } | undefined;
    if (typeof data?.validationCode !== 'string')
      return { status: 400, body: { error: 'No validationCode in the event' } };
    return { status: 200, body: { validationResponse: data.validationCode } };
  }
  if (kind === 'Unsubscribe') return { status: 202 };
  if (kind !== 'Notification') return { status: 400, body: { error: `Unknown aeg-event-type '${kind}'` } };
  let failures = 0;
  for (const e of events) {
    const outcome = await r.invoker.invoke(fn, { trigger: { json: JSON.stringify(e) } });
    if (!outcome.ok) failures++;
  }
  return failures > 0 ? { status: 500 } : { status: 200 };
}
