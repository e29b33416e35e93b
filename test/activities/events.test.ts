// publishEvents (src/activities/events.ts) over the real adapter and the emulator's CloudEvents
// topic: delivered events, a transient fault thrown (durable retries it), a refusal as a value.
import { describe, expect, it } from 'vitest';
import { runEvents } from '../../src/domain/lifecycleEvents.js';
import type { RunView } from '../../src/domain/runView.js';
import { useActivityStack } from './support.js';

const stack = useActivityStack();

const view: RunView = {
  runId: 'ft-events00000000000000',
  dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' },
  status: 'Succeeded',
  step: 'smokeTest',
  steps: [
    {
      id: 'smokeTest',
      status: 'succeeded',
      startedAt: '2026-12-01T10:00:00.000Z',
      endedAt: '2026-12-01T10:01:00.000Z',
    },
  ],
};

async function topic(name: string): Promise<string> {
  const response = await stack.admin('PUT', `topics/${name}`, {});
  expect(response.status).toBe(201);
  return ((await response.json()) as { endpoint: string }).endpoint;
}

describe('publishEvents', () => {
  it('publishes the events to the configured topic and says how many', async () => {
    const endpoint = await topic('activity-topic');
    const activities = stack.activitiesFor(stack.settings({ EVENTS_TOPIC_ENDPOINT: endpoint }));
    const result = await activities.publishEvents({ events: runEvents(view) });
    const listing = (await (await stack.admin('GET', 'topics/activity-topic/events', undefined)).json()) as {
      value: { type: string; subject: string; source: string }[];
    };
    expect([result, listing.value.map((e) => [e.type, e.subject, e.source])]).toEqual([
      { ok: true, value: { published: 1 } },
      [['finetune-autopilot.run.succeeded', 'runs/ft-events00000000000000', 'finetune-autopilot/local']],
    ]);
  });

  it('throws on a transient fault, so durable retries the activity', async () => {
    const endpoint = await topic('activity-fault-topic');
    await stack.admin('POST', 'faults', { operation: 'PublishCloudEventEvents', status: 503 });
    const activities = stack.activitiesFor(stack.settings({ EVENTS_TOPIC_ENDPOINT: endpoint }));
    await expect(activities.publishEvents({ events: runEvents(view) })).rejects.toThrow(/HTTP 503/);
  });

  it('answers a refusal (no such topic) as a failed result, without retries', async () => {
    const endpoint = `${stack.emulator.baseUrl}/_topics/activity-missing/api/events`;
    const activities = stack.activitiesFor(stack.settings({ EVENTS_TOPIC_ENDPOINT: endpoint }));
    const result = await activities.publishEvents({ events: runEvents(view) });
    expect(result.ok ? 'ok' : result.error.code).toBe('EVENTS.NOT_FOUND');
  });
});
