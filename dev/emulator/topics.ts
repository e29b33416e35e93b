// Event Grid custom topics that accept CloudEvents 1.0, as the app publishes its lifecycle events
// to them: POST /_topics/{name}/api/events?api-version=2018-01-01 with a Bearer token (the SDK's
// token credential path) and `application/cloudevents-batch+json; charset=utf-8`, answered 200
// with no body. The facts (API version, content type, required attributes, size limits, statuses)
// are in facts/topics.json with their sources. A topic exists once the admin API created it
// (PUT /_emulator/topics/{name}); what it received is read back with GET .../events.
import { TOPIC_FACTS } from './facts.js';
import type { Route, RouteContext } from './core.js';
import { ArmError, isRecord, type ErrorDetail, type Reply } from './http.js';

/** Event Grid topic names: 3-50 letters, digits and '-'. */
const TOPIC_NAME = /^[A-Za-z0-9-]{3,50}$/;

function topicEvents(ctx: RouteContext): unknown[] {
  const name = ctx.params[0] ?? '';
  const events = ctx.core.state.topics?.[name];
  if (events === undefined) {
    throw new ArmError(
      404,
      'NotFound',
      `The topic '${name}' does not exist; create it with PUT /_emulator/topics/${name}.`,
    );
  }
  return events;
}

/** The attributes a CloudEvent lacks or has wrong, as Event Grid's 400 details. */
function invalidAttributes(event: unknown, index: number): ErrorDetail[] {
  if (!isRecord(event)) return [{ code: 'InputJsonInvalid', message: `events[${index}] is not an object.` }];
  const problems: ErrorDetail[] = [];
  for (const attribute of TOPIC_FACTS.publish.requiredAttributes) {
    const value = event[attribute];
    if (typeof value !== 'string' || value === '') {
      problems.push({
        code: 'InputJsonInvalid',
        message: `events[${index}].${attribute} is required (a non-empty string).`,
      });
    }
  }
  if (typeof event.specversion === 'string' && event.specversion !== '1.0') {
    problems.push({
      code: 'InputJsonInvalid',
      message: `events[${index}].specversion is '${event.specversion}'; expected '1.0'.`,
    });
  }
  return problems;
}

function publish(ctx: RouteContext): Reply {
  const events = topicEvents(ctx);
  const contentType = String(ctx.headers['content-type'] ?? '');
  // The spec's PublishCloudEventEvents consumes only the CloudEvents batch type.
  if (!contentType.toLowerCase().startsWith(TOPIC_FACTS.publish.contentType.split(';')[0] ?? '')) {
    throw new ArmError(
      400,
      'BadRequest',
      `Content-Type '${contentType}' is not accepted by a CloudEvents topic; send '${TOPIC_FACTS.publish.contentType}'.`,
    );
  }
  const body = ctx.body;
  if (!Array.isArray(body))
    throw new ArmError(400, 'BadRequest', 'The body must be a JSON array of CloudEvents.');
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > TOPIC_FACTS.limits.batchBytes) {
    throw new ArmError(
      413,
      'PayloadTooLarge',
      `The batch is ${bytes} bytes; the limit is ${TOPIC_FACTS.limits.batchBytes}.`,
    );
  }
  const problems = body.flatMap((event, index) => invalidAttributes(event, index));
  if (problems.length > 0)
    throw new ArmError(400, 'BadRequest', 'The events are not valid CloudEvents 1.0.', problems);
  events.push(...(body as unknown[]));
  ctx.core.persist();
  return { status: 200 };
}

function putTopic(ctx: RouteContext): Reply {
  const name = ctx.params[0] ?? '';
  if (!TOPIC_NAME.test(name)) {
    throw new ArmError(400, 'InvalidRequest', `Topic name '${name}' must be 3-50 letters, digits or '-'.`);
  }
  const topics = (ctx.core.state.topics ??= {});
  const existed = topics[name] !== undefined;
  topics[name] ??= [];
  ctx.core.persist();
  return {
    status: existed ? 200 : 201,
    body: { name, endpoint: `${ctx.core.baseUrl}/_topics/${name}/api/events` },
  };
}

export const topicRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/_topics\/([^/]+)\/api\/events$/,
    operation: 'PublishCloudEventEvents',
    auth: 'arm',
    apiVersions: [TOPIC_FACTS.publish.apiVersion],
    scope: 'none',
    handle: publish,
  },
  { method: 'PUT', pattern: /^\/_emulator\/topics\/([^/]+)$/, auth: 'none', scope: 'none', handle: putTopic },
  {
    method: 'GET',
    pattern: /^\/_emulator\/topics\/([^/]+)\/events$/,
    auth: 'none',
    scope: 'none',
    handle: (ctx) => ({ status: 200, body: { value: topicEvents(ctx) } }),
  },
];
