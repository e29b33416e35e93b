// Lifecycle events end to end on the real local stack: a dataset dropped under incoming/ runs to
// Succeeded, and the local Event Grid topic the stack gives the app (dev/stack.ts LIFECYCLE_TOPIC,
// dev/emulator/topics.ts) received exactly one CloudEvent run.succeeded for runs/<runId>, whose
// data is the run view with no key and no URL with a key in it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import { LIFECYCLE_TOPIC } from '../../dev/stack.js';
import type { RunView } from '../../src/domain/runView.js';
import {
  dumpLogsOnFailure,
  startE2eStack,
  TEARDOWN_OFF,
  waitFor,
  waitForEnd,
  type E2eStack,
} from './support.js';

const RUN_TIMEOUT_MS = 60_000;

interface ReceivedEvent {
  readonly specversion: string;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: string;
  readonly data: RunView & { readonly reason: string };
}

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ settings: TEARDOWN_OFF });
}, 120_000);
afterAll(async () => {
  await e2e?.close();
});
dumpLogsOnFailure(() => e2e);

async function topicEvents(): Promise<ReceivedEvent[]> {
  const response = await e2e.admin('GET', `topics/${LIFECYCLE_TOPIC}/events`);
  if (response.status !== 200) throw new Error(`topic read answered ${response.status}: ${response.text}`);
  return (JSON.parse(response.text) as { value: ReceivedEvent[] }).value;
}

describe('lifecycle events', () => {
  test(
    'a succeeded run is announced once on the topic, as run.succeeded for runs/<runId>, without secrets',
    async () => {
      const { runId } = await e2e.upload('incoming/e2e-events/train.jsonl', demoDataset(240));
      const view = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
      expect(view.status).toBe('Succeeded');
      // The summary is written after the publish: once it is there, the run published all it will.
      await waitFor('the run summary', () => e2e.readBlob(`runs/${runId}/summary.json`), {
        timeoutMs: 20_000,
      });

      const events = (await topicEvents()).filter((e) => e.subject === `runs/${runId}`);
      expect(events.map((e) => [e.specversion, e.type, e.source, e.datacontenttype])).toEqual([
        ['1.0', 'finetune-autopilot.run.succeeded', 'finetune-autopilot/local', 'application/json'],
      ]);
      const [event] = events;
      expect([event?.data.runId, event?.data.status, event?.data.endpoint?.name]).toEqual([
        runId,
        'Succeeded',
        view.endpoint?.name,
      ]);

      const text = JSON.stringify(event);
      const endpointKeys = await e2e.arm.onlineEndpoints.listKeys(e2e.rg, e2e.ws, view.endpoint?.name ?? '');
      const secrets = [
        e2e.stack.functionKey,
        e2e.stack.keys.masterKey,
        ...Object.values(e2e.stack.keys.systemKeys),
        endpointKeys.primaryKey ?? '',
        endpointKeys.secondaryKey ?? '',
      ].filter((s) => s !== '');
      expect(secrets.length).toBeGreaterThan(3);
      expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
      expect(text).not.toMatch(/[?&](code|sig|key|token)=/i);
    },
    RUN_TIMEOUT_MS + 40_000,
  );
});
