import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAzurite } from '../../../dev/azurite.js';
import { startAzurite } from '../../../dev/azurite.js';
import type { BlobCreatedEvent } from '../../../dev/storageEvents.js';
import { startStorageEventPublisher } from '../../../dev/storageEvents.js';
import { startHost } from '../../../dev/host/index.js';
import { fixtureApp, sideEffects, tempDir } from './fixture.js';

// A plain webhook receiver: these tests check exactly what goes on the wire.
let azurite: RunningAzurite;
let receiver: http.Server;
let receiverUrl: string;
let received: { headers: http.IncomingHttpHeaders; events: BlobCreatedEvent[] }[] = [];
let failNext = 0;
let container: ContainerClient;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, events: JSON.parse(body) as BlobCreatedEvent[] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=datasetUploaded&code=k`;
});
afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await azurite?.stop();
});
beforeEach(async () => {
  received = [];
  failNext = 0;
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    `events-${++n}`,
  );
  await container.create();
});

async function upload(name: string, text: string): Promise<string> {
  const r = await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
    blobHTTPHeaders: { blobContentType: 'application/jsonl' },
  });
  return (r.etag ?? '').replace(/"/g, '');
}

function publisher(stateDir: string, extra: { duplicate?: boolean; delayMs?: number } = {}) {
  return startStorageEventPublisher({
    connectionString: azurite.connectionString,
    container: container.containerName,
    webhookUrl: receiverUrl,
    stateDir,
    intervalMs: 60_000,
    ...extra,
  });
}

describe('storage events publisher', () => {
  it('delivers one BlobCreated event per blob under incoming/, in the Event Grid schema', async () => {
    const etag = await upload('incoming/ds1/train.jsonl', '{"messages":[]}\n');
    await upload('runs/ignored.json', '{}');
    const p = publisher(tempDir('se-state'));
    await p.flush();
    await p.flush();
    await p.stop();
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery?.headers['aeg-event-type']).toBe('Notification');
    const event = delivery?.events[0];
    expect(delivery?.events).toHaveLength(1);
    expect(event).toMatchObject({
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-autopilot-local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      subject: `/blobServices/default/containers/${container.containerName}/blobs/incoming/ds1/train.jsonl`,
      eventType: 'Microsoft.Storage.BlobCreated',
      data: {
        api: 'PutBlob',
        eTag: etag,
        contentLength: 16,
        contentType: 'application/jsonl',
        blobType: 'BlockBlob',
        url: `${azurite.blobEndpoint}/${container.containerName}/incoming/ds1/train.jsonl`,
      },
    });
    expect(event?.data.sequencer).toMatch(/^[0-9a-f]{32}$/);
  });

  it('delivers a new event when the blob is overwritten (a new version), and none again after a restart', async () => {
    const state = tempDir('se-state');
    await upload('incoming/a.jsonl', 'one');
    const first = publisher(state);
    await first.flush();
    const etag2 = await upload('incoming/a.jsonl', 'two!');
    await first.flush();
    await first.stop();
    expect(received.map((d) => d.events[0]?.data.eTag)).toHaveLength(2);
    expect(received[1]?.events[0]?.data.eTag).toBe(etag2);

    const second = publisher(state);
    await second.flush();
    await second.stop();
    expect(received).toHaveLength(2);
  });

  it('retries a delivery the webhook refused, and records it only once delivered', async () => {
    await upload('incoming/retry.jsonl', 'x');
    // Refuse the start-up pass and the first flush; the next pass delivers.
    failNext = 2;
    const p = publisher(tempDir('se-state'));
    await p.flush();
    expect(received).toHaveLength(0);
    expect(failNext).toBe(0);
    await p.flush();
    await p.flush();
    await p.stop();
    expect(received).toHaveLength(1);
  });

  it('duplicates deliveries on request (same event id twice), as Event Grid may', async () => {
    await upload('incoming/dup.jsonl', 'x');
    const p = publisher(tempDir('se-state'), { duplicate: true, delayMs: 50 });
    await p.flush();
    await p.stop();
    expect(received).toHaveLength(2);
    expect(received[0]?.events[0]?.id).toBe(received[1]?.events[0]?.id);
  });
});

describe('storage events into the local host', () => {
  it('reach the Event Grid function of the app through its webhook', async () => {
    const effects = tempDir('se-host-effects');
    const host = await startHost({
      appDir: fixtureApp,
      stateDir: tempDir('se-host-state'),
      settings: { SIDE_EFFECT_DIR: effects },
      log: () => undefined,
    });
    try {
      await upload('incoming/e2e.jsonl', '{}');
      const p = startStorageEventPublisher({
        connectionString: azurite.connectionString,
        container: container.containerName,
        webhookUrl: host.eventGridWebhookUrl('onEvent'),
        stateDir: tempDir('se-state'),
        intervalMs: 60_000,
      });
      await p.flush();
      await p.stop();
      const lines = sideEffects(effects, 'events').map(
        (l) => JSON.parse(l) as { subject: string; data: { api: string } },
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]?.subject).toBe(
        `/blobServices/default/containers/${container.containerName}/blobs/incoming/e2e.jsonl`,
      );
      expect(lines[0]?.data.api).toBe('PutBlob');
    } finally {
      await host.stop();
    }
  });
});
