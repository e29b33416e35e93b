// Azurite emits no Event Grid events, so locally this stands in for the storage account's system
// topic: it lists a container's blobs under a prefix and delivers a `Microsoft.Storage.BlobCreated`
// event (Event Grid schema) to a webhook for each blob version (name + eTag) exactly once. Receipts
// are persisted, so a restart does not re-deliver; a failed delivery (non-2xx) is retried next pass.
// `duplicate` and `delayMs` imitate Event Grid's at-least-once, late deliveries for tests.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { writeFileAtomic } from './host/fsUtil.js';

export interface StorageEventPublisherOptions {
  connectionString: string;
  container: string;
  /** Only blobs under this prefix produce events (default `incoming/`). */
  prefix?: string;
  /** The app's Event Grid webhook (with functionName and code). */
  webhookUrl: string;
  /** Where delivery receipts are kept. */
  stateDir: string;
  intervalMs?: number;
  /** Deliver every event twice (same event id), as Event Grid may. */
  duplicate?: boolean;
  /** Wait this long before each delivery. */
  delayMs?: number;
  /** Used in the event topic (the storage account's resource id). */
  subscriptionId?: string;
  resourceGroup?: string;
  log?: (line: string) => void;
}

export interface StorageEventPublisher {
  /** Scans once now and returns when that pass's deliveries are done (failed ones stay pending). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface BlobCreatedEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: 'Microsoft.Storage.BlobCreated';
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
  data: {
    api: 'PutBlob';
    clientRequestId: string;
    requestId: string;
    eTag: string;
    contentType: string;
    contentLength: number;
    blobType: 'BlockBlob';
    url: string;
    sequencer: string;
    storageDiagnostics: { batchId: string };
  };
}

const DEFAULT_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const DEFAULT_RESOURCE_GROUP = 'rg-autopilot-local';

export function startStorageEventPublisher(options: StorageEventPublisherOptions): StorageEventPublisher {
  const prefix = options.prefix ?? 'incoming/';
  const log = options.log ?? (() => undefined);
  const service = BlobServiceClient.fromConnectionString(options.connectionString);
  const container = service.getContainerClient(options.container);
  const topic =
    `/subscriptions/${options.subscriptionId ?? DEFAULT_SUBSCRIPTION}/resourceGroups/` +
    `${options.resourceGroup ?? DEFAULT_RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/${service.accountName}`;
  const receiptsFile = path.join(
    options.stateDir,
    'storage-events',
    `${encodeURIComponent(options.container)}.json`,
  );
  const receipts = new Set<string>(
    existsSync(receiptsFile) ? (JSON.parse(readFileSync(receiptsFile, 'utf8')) as string[]) : [],
  );
  let sequence = receipts.size;
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const deliver = async (event: BlobCreatedEvent): Promise<boolean> => {
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const copies = options.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let status: number;
      try {
        const res = await fetch(options.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
          body: JSON.stringify([event]),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch (e) {
        log(`storage events: delivery of ${event.subject} failed: ${(e as Error).message}; will retry`);
        return false;
      }
      if (status < 200 || status > 299) {
        log(`storage events: delivery of ${event.subject} answered ${status}; will retry`);
        return false;
      }
    }
    log(`storage events: delivered BlobCreated ${event.subject}${options.duplicate ? ' (twice)' : ''}`);
    return true;
  };

  const scan = async (): Promise<void> => {
    for await (const blob of container.listBlobsFlat({ prefix })) {
      if (stopped) return;
      const eTag = (blob.properties.etag ?? '').replace(/"/g, '');
      const receipt = `${blob.name}\u0000${eTag}`;
      if (receipts.has(receipt)) continue;
      const blobClient = container.getBlobClient(blob.name);
      const event: BlobCreatedEvent = {
        id: randomUUID(),
        topic,
        subject: `/blobServices/default/containers/${options.container}/blobs/${blob.name}`,
        eventType: 'Microsoft.Storage.BlobCreated',
        eventTime: (blob.properties.lastModified ?? new Date()).toISOString(),
        dataVersion: '',
        metadataVersion: '1',
        data: {
          api: 'PutBlob',
          clientRequestId: randomUUID(),
          requestId: randomUUID(),
          eTag,
          contentType: blob.properties.contentType ?? 'application/octet-stream',
          contentLength: blob.properties.contentLength ?? 0,
          blobType: 'BlockBlob',
          url: blobClient.url,
          sequencer: (++sequence).toString(16).padStart(32, '0'),
          storageDiagnostics: { batchId: randomUUID() },
        },
      };
      if (await deliver(event)) {
        receipts.add(receipt);
        writeFileAtomic(receiptsFile, JSON.stringify([...receipts]));
      }
    }
  };

  const runPass = (): Promise<void> => {
    pass = pass
      .then(scan)
      .catch((e: unknown) =>
        log(`storage events: listing ${options.container}/${prefix} failed: ${(e as Error).message}`),
      );
    return pass;
  };

  const loop = (): void => {
    if (stopped) return;
    void runPass().then(() => {
      // A listing of incoming/ is cheap against Azurite; 200 ms keeps it out of upload -> submitted.
      if (!stopped) timer = setTimeout(loop, options.intervalMs ?? 200);
    });
  };
  loop();

  return {
    flush: runPass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pass;
    },
  };
}
