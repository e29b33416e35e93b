// The emulator's CloudEvents topics (dev/emulator/topics.ts) against @azure/eventgrid's own
// publisher client, and the refusals Event Grid's publish API makes (dev/emulator/facts/topics.json).
import { EventGridPublisherClient } from '@azure/eventgrid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, https, staticCredential, startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const CLOUD_EVENTS = 'application/cloudevents-batch+json; charset=utf-8';
const event = (id: string) => ({
  specversion: '1.0',
  id,
  type: 't.x',
  source: 's',
  subject: 'runs/r',
  data: { a: 1 },
});

async function newTopic(name: string): Promise<string> {
  const created = await admin<{ endpoint: string }>(h.emulator, 'PUT', `topics/${name}`);
  expect(created.status).toBe(201);
  return created.body.endpoint;
}

const post = (name: string, body: unknown, headers: Record<string, string>) =>
  https(h.emulator, 'POST', `/_topics/${name}/api/events?api-version=2018-01-01`, body, headers);

describe('emulator topics', () => {
  it('PUT creates a topic and answers its endpoint; again is 200', async () => {
    const endpoint = await newTopic('created-topic');
    const again = await admin(h.emulator, 'PUT', 'topics/created-topic');
    expect([endpoint, again.status]).toEqual([`${h.emulator.baseUrl}/_topics/created-topic/api/events`, 200]);
  });

  it('refuses a topic name Event Grid would not accept', async () => {
    expect((await admin(h.emulator, 'PUT', 'topics/ab')).status).toBe(400);
  });

  it('receives what the SDK publishes with a token credential, as the SDK sent it', async () => {
    const endpoint = await newTopic('sdk-topic');
    const client = new EventGridPublisherClient(endpoint, 'CloudEvent', staticCredential, {
      tlsOptions: { ca: h.emulator.caCert },
      retryOptions: { maxRetries: 0 },
    });
    await client.send([
      {
        id: 'e-1',
        type: 't.x',
        source: 'src',
        subject: 'runs/r',
        time: new Date('2026-12-01T10:00:00.000Z'),
        data: { a: 1 },
      },
    ]);
    const listing = await admin<{ value: unknown[] }>(h.emulator, 'GET', 'topics/sdk-topic/events');
    expect(listing.body.value).toEqual([
      {
        specversion: '1.0',
        id: 'e-1',
        type: 't.x',
        source: 'src',
        subject: 'runs/r',
        time: '2026-12-01T10:00:00.000Z',
        datacontenttype: 'application/json',
        data: { a: 1 },
      },
    ]);
  });

  it('answers 401 without a bearer token', async () => {
    await newTopic('auth-topic');
    const reply = await post('auth-topic', [event('1')], { 'content-type': CLOUD_EVENTS });
    expect(reply.status).toBe(401);
  });

  it('answers 401 to a topic key (aeg-sas-key): only Entra ID tokens are emulated', async () => {
    await newTopic('key-topic');
    const reply = await post('key-topic', [event('1')], { 'content-type': CLOUD_EVENTS, 'aeg-sas-key': 'k' });
    expect(reply.status).toBe(401);
  });

  it('answers 400 to a body sent as plain application/json', async () => {
    await newTopic('type-topic');
    const reply = await post('type-topic', [event('1')], {
      'content-type': 'application/json',
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(400);
  });

  it('answers 400 naming each missing required attribute', async () => {
    await newTopic('invalid-topic');
    const reply = await post('invalid-topic', [{ specversion: '1.0', type: 't', source: 's' }], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    expect([reply.status, reply.body]).toEqual([
      400,
      {
        error: {
          code: 'BadRequest',
          message: 'The events are not valid CloudEvents 1.0.',
          details: [{ code: 'InputJsonInvalid', message: 'events[0].id is required (a non-empty string).' }],
        },
      },
    ]);
  });

  it('answers 400 to a specversion other than 1.0 and stores nothing', async () => {
    await newTopic('version-topic');
    const reply = await post('version-topic', [{ ...event('1'), specversion: '0.3' }], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    const listing = await admin<{ value: unknown[] }>(h.emulator, 'GET', 'topics/version-topic/events');
    expect([reply.status, listing.body.value]).toEqual([400, []]);
  });

  it('answers 413 to a batch over 1 MB', async () => {
    await newTopic('large-topic');
    const big = { ...event('1'), data: { text: 'x'.repeat(1_048_576) } };
    const reply = await post('large-topic', [big], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(413);
  });

  it('answers 404 for a topic that was never created', async () => {
    const reply = await post('no-such-topic', [event('1')], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(404);
  });

  it('answers 400 without api-version', async () => {
    await newTopic('version-q-topic');
    const reply = await https(h.emulator, 'POST', '/_topics/version-q-topic/api/events', [event('1')], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(400);
  });

  it('an injected PublishCloudEventEvents fault answers its status', async () => {
    await newTopic('fault-topic');
    await admin(h.emulator, 'POST', 'faults', { operation: 'PublishCloudEventEvents', status: 503 });
    const reply = await post('fault-topic', [event('1')], {
      'content-type': CLOUD_EVENTS,
      authorization: 'Bearer t',
    });
    expect(reply.status).toBe(503);
  });
});
