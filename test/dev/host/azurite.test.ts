import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../../dev/azurite.js';
import { tempDir } from './fixture.js';

describe('startAzurite', () => {
  it('serves blob, queue and table on free loopback ports, in a connection string the SDK accepts', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
      for (const endpoint of [azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint]) {
        expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
        // Unauthenticated requests reach Azurite and are refused by it (not a connection error).
        const res = await fetch(endpoint);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await service.getContainerClient('probe').create();
      const names: string[] = [];
      for await (const c of service.listContainers()) names.push(c.name);
      expect(names).toEqual(['probe']);
    } finally {
      await azurite.stop();
    }
  });

  it('keeps data across restarts when given a location', async () => {
    const location = tempDir('azurite-data');
    const first = await startAzurite({ inMemory: false, location });
    await BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('kept').create();
    await first.stop();
    const second = await startAzurite({ inMemory: false, location });
    try {
      const exists = await BlobServiceClient.fromConnectionString(second.connectionString)
        .getContainerClient('kept')
        .exists();
      expect(exists).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('starts again on the ports it is given, with its data, so existing clients keep working', async () => {
    const location = tempDir('azurite-ports');
    const first = await startAzurite({ inMemory: false, location });
    const client = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('kept');
    await client.create();
    await first.stop();
    const second = await startAzurite({ inMemory: false, location, ports: first.ports });
    try {
      expect(second.connectionString).toBe(first.connectionString);
      expect(await client.exists()).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
