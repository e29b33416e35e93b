import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../../dev/host/index.js';
import { startHost } from '../../../dev/host/index.js';
import { fixtureApp, sideEffects, tempDir, waitFor } from './fixture.js';

let host: RunningHost;
const logs: string[] = [];
const effects = tempDir('host-http-effects');

beforeAll(async () => {
  host = await startHost({
    appDir: fixtureApp,
    stateDir: tempDir('host-http-state'),
    settings: { SIDE_EFFECT_DIR: effects, TICK_SCHEDULE: '*/1 * * * * *' },
    log: (line) => logs.push(line),
  });
});
afterAll(async () => {
  await host?.stop();
});

describe('HTTP triggers', () => {
  it('routes /api/<route> with an optional parameter, query and app settings', async () => {
    const res = await fetch(`${host.url}/api/hello/ada?q=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(await res.json()).toEqual({ greeting: 'hello', name: 'ada', method: 'GET', q: '1', body: null });
    const bare = await fetch(`${host.url}/api/hello`);
    expect(((await bare.json()) as { name: string }).name).toBe('world');
  });

  it('passes the request body through', async () => {
    const res = await fetch(`${host.url}/api/hello/bob`, { method: 'POST', body: JSON.stringify({ x: 1 }) });
    expect(((await res.json()) as { body: unknown }).body).toEqual({ x: 1 });
  });

  it('answers 404 for a method the function does not accept and for unknown routes', async () => {
    expect((await fetch(`${host.url}/api/hello/bob`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
  });

  it('honours route constraints', async () => {
    const url = `${host.url}/api/items/abc`;
    expect((await fetch(url, { headers: { 'x-functions-key': host.functionKey } })).status).toBe(404);
  });

  it('requires the function key for authLevel function (header or ?code=)', async () => {
    const url = `${host.url}/api/items/42`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    const withHeader = await fetch(url, { headers: { 'x-functions-key': host.functionKey } });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toEqual({ id: 42 });
    expect((await fetch(`${url}?code=${encodeURIComponent(host.functionKey)}`)).status).toBe(200);
    expect((await fetch(`${url}?code=${encodeURIComponent(host.masterKey)}`)).status).toBe(200);
  });

  it('answers 401 with the JSON error shape, never echoing the key sent', async () => {
    const res = await fetch(`${host.url}/api/items/42`, { headers: { 'x-functions-key': 'wrong-key' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({
      error: {
        code: 'REQUEST.UNAUTHORIZED',
        message:
          'this route needs a function key: send it in the x-functions-key header or the code query parameter',
      },
    });
  });

  it('accepts only the master key for authLevel admin', async () => {
    const url = `${host.url}/api/admin/thing`;
    expect((await fetch(url, { headers: { 'x-functions-key': host.functionKey } })).status).toBe(401);
    const res = await fetch(url, { headers: { 'x-functions-key': host.masterKey } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('admin ok');
  });

  it('answers 500 without details when a handler throws, and logs the failure', async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('');
    expect(logs.some((l) => /boom \[[0-9a-f-]{36}\] Failed in \d+ms: kaboom/.test(l))).toBe(true);
  });

  it('logs one line per invocation and the app log lines, never a key', async () => {
    await fetch(`${host.url}/api/items/7?code=${encodeURIComponent(host.functionKey)}`);
    expect(logs.some((l) => /hello \[[0-9a-f-]{36}\] greeting ada/.test(l))).toBe(true);
    expect(logs.some((l) => /item \[[0-9a-f-]{36}\] Succeeded in \d+ms/.test(l))).toBe(true);
    const all = logs.join('\n');
    for (const key of [host.functionKey, host.masterKey, ...Object.values(host.systemKeys)]) {
      expect(all.includes(key)).toBe(false);
    }
  });
});

describe('loading the app', () => {
  it('registers every fixture function and warns about none of their bindings', () => {
    expect([...host.functions].sort()).toEqual(
      expect.arrayContaining([
        'hello',
        'item',
        'adminOnly',
        'boom',
        'start',
        'ops',
        'onEvent',
        'tick',
        'workflow',
        'record',
      ]),
    );
    expect(logs.filter((l) => l.includes('warning:'))).toEqual([]);
  });
});

describe('app hooks', () => {
  it('runs log hooks on app log lines and postInvocation hooks after each call', async () => {
    const before = sideEffects(effects, 'hooks').length;
    await fetch(`${host.url}/api/hello/classified`);
    expect(logs.some((l) => /hello \[[0-9a-f-]{36}\] greeting \[redacted\]/.test(l))).toBe(true);
    expect(logs.some((l) => l.includes('greeting classified'))).toBe(false);
    expect(sideEffects(effects, 'hooks').length).toBe(before + 1);
  });
});

describe('Event Grid webhook', () => {
  it('answers the subscription validation handshake', async () => {
    const res = await fetch(host.eventGridWebhookUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          id: 'v1',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          subject: '',
          data: { validationCode: 'abc-123' },
          eventTime: new Date().toISOString(),
          dataVersion: '1',
        },
      ]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: 'abc-123' });
  });

  it('invokes the function once per event in a notification', async () => {
    const events = ['e1', 'e2'].map((id) => ({
      id,
      eventType: 'Test.Happened',
      subject: `/things/${id}`,
      data: { n: id },
      eventTime: new Date().toISOString(),
      dataVersion: '1',
      topic: '/subscriptions/x',
    }));
    const res = await fetch(host.eventGridWebhookUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    expect(sideEffects(effects, 'events').map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 'e1', subject: '/things/e1', data: { n: 'e1' } },
      { id: 'e2', subject: '/things/e2', data: { n: 'e2' } },
    ]);
  });

  it('answers 500 when a handler throws so the sender retries', async () => {
    const res = await fetch(host.eventGridWebhookUrl('onEvent'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([{ id: 'bad', eventType: 'T', subject: 's', data: { fail: true } }]),
    });
    expect(res.status).toBe(500);
  });

  it('gives Event Grid functions the durable client input', async () => {
    const res = await fetch(host.eventGridWebhookUrl('onEventStart'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([{ id: 'ev9', eventType: 'T', subject: 's', data: {} }]),
    });
    expect(res.status).toBe(200);
    const status = await waitFor('the orchestration it started to complete', async () => {
      const r = await fetch(`${host.url}/api/ops`, {
        method: 'POST',
        headers: { 'x-functions-key': host.functionKey },
        body: JSON.stringify({ op: 'status', id: 'from-ev9' }),
      });
      const s =
        r.status === 200 ? ((await r.json()) as { runtimeStatus: string; output: unknown }) : undefined;
      return s?.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(status.output).toBe('counted to 3');
  });

  it('rejects a wrong system key and an unknown function', async () => {
    const wrong = `${host.url}/runtime/webhooks/eventgrid?functionName=onEvent&code=${encodeURIComponent(host.functionKey)}`;
    expect(
      (await fetch(wrong, { method: 'POST', body: '[]', headers: { 'aeg-event-type': 'Notification' } }))
        .status,
    ).toBe(401);
    const unknown = host.eventGridWebhookUrl('nope');
    expect(
      (await fetch(unknown, { method: 'POST', body: '[]', headers: { 'aeg-event-type': 'Notification' } }))
        .status,
    ).toBe(404);
  });
});

describe('timer triggers', () => {
  it('runs on startup and then on its %SETTING% schedule', async () => {
    const ticks = await waitFor('three ticks', () => {
      const lines = sideEffects(effects, 'ticks');
      return lines.length >= 3 ? lines : undefined;
    });
    expect(JSON.parse(ticks[0] ?? '')).toEqual({ isPastDue: false, hasStatus: true });
  });
});
