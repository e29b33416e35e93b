import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore, createContainerClient } from '../../src/adapters/blobStore.js';
import { validateAndPrepareDataset } from '../../src/adapters/dataset.js';
import { DomainError } from '../../src/domain/errors.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';
import { ultrachatRows } from './parquetFixture.js';

const CONTAINER = 'training-data';
let azurite: AzuriteBlob;
let container: ContainerClient;
let store: AzureBlobStore;

beforeAll(async () => {
  azurite = await startAzuriteBlob();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER);
  await container.create();
  store = new AzureBlobStore(
    createContainerClient({ connectionString: azurite.connectionString, trainingContainer: CONTAINER }),
  );
});
afterAll(async () => {
  await azurite.close();
});

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('AzureBlobStore (Azurite)', () => {
  it('writes text, reads it back, and reports etag and size', async () => {
    await store.writeText('runs/ft-1/report.json', '{"valid":true}', 'application/json');

    expect(await store.readText('runs/ft-1/report.json')).toBe('{"valid":true}');
    const info = await store.getInfo('runs/ft-1/report.json');
    const properties = await container.getBlobClient('runs/ft-1/report.json').getProperties();
    expect(info).toEqual({
      path: 'runs/ft-1/report.json',
      etag: properties.etag?.replace(/"/g, ''),
      contentLength: 14,
    });
    expect(info?.etag).not.toContain('"');
    expect(properties.contentType).toBe('application/json');
  });

  it('answers undefined for an absent blob', async () => {
    expect(await store.readText('runs/none/summary.json')).toBeUndefined();
    expect(await store.getInfo('runs/none/summary.json')).toBeUndefined();
  });

  it('streams a dataset and reads byte ranges of it', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `{"line":${i}}`).join('\n');
    await store.writeText('incoming/big/train.jsonl', text);

    const dataset = await store.openDataset('incoming/big/train.jsonl');

    expect(dataset.format).toBe('jsonl');
    expect(dataset.info.contentLength).toBe(Buffer.byteLength(text));
    expect(await collect(dataset.stream())).toBe(text);
    expect(Buffer.from((await dataset.random?.read(1, 9)) ?? []).toString()).toBe('"line":0');
    expect(dataset.random?.byteLength).toBe(Buffer.byteLength(text));
  });

  it('detects Parquet by extension', async () => {
    await store.writeText('incoming/p.parquet', 'PAR1....PAR1');
    expect((await store.openDataset('incoming/p.parquet')).format).toBe('parquet');
  });

  it('fails loudly when the dataset is overwritten after it was opened', async () => {
    await store.writeText('incoming/moving/train.jsonl', '{"v":1}\n');
    const dataset = await store.openDataset('incoming/moving/train.jsonl');
    await store.writeText('incoming/moving/train.jsonl', '{"v":2}\n');

    const error = await collect(dataset.stream()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'STORAGE.BLOB_CHANGED' });
    await expect(dataset.random?.read(0, 4)).rejects.toMatchObject({ code: 'STORAGE.BLOB_CHANGED' });
  });

  it('opening an absent dataset is STORAGE.NOT_FOUND naming the path', async () => {
    await expect(store.openDataset('incoming/absent.jsonl')).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
      message: "dataset 'incoming/absent.jsonl' in container 'training-data' does not exist",
    });
  });

  it('a writer shows nothing until close, then the whole text', async () => {
    const writer = store.openWriter('runs/ft-2/train.jsonl', 'application/jsonl');
    const line = `${JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1000) }] })}\n`;
    for (let i = 0; i < 5000; i++) await writer.write(line); // ~5 MB: more than one block

    expect(await store.getInfo('runs/ft-2/train.jsonl')).toBeUndefined();
    await writer.close();

    const info = await store.getInfo('runs/ft-2/train.jsonl');
    expect(info?.contentLength).toBe(Buffer.byteLength(line) * 5000);
    expect((await store.readText('runs/ft-2/train.jsonl'))?.slice(0, line.length)).toBe(line);
  });

  it('a staged writer shows nothing until commit, then the whole text in order', async () => {
    const writer = store.openStagedWriter('runs/ft-4/train.jsonl', 'application/jsonl');
    const lines = Array.from({ length: 9000 }, (_, i) => `${JSON.stringify({ i, pad: 'é'.repeat(500) })}\n`);
    for (const line of lines) await writer.write(line); // ~9 MB: three blocks

    expect(await store.getInfo('runs/ft-4/train.jsonl')).toBeUndefined();
    await writer.commit();

    expect(await store.readText('runs/ft-4/train.jsonl')).toBe(lines.join(''));
    const properties = await container.getBlobClient('runs/ft-4/train.jsonl').getProperties();
    expect(properties.contentType).toBe('application/jsonl');
  });

  it('a staged writer that aborts leaves no blob', async () => {
    const writer = store.openStagedWriter('runs/ft-5/train.jsonl');
    for (let i = 0; i < 5000; i++) await writer.write(`${'x'.repeat(1000)}\n`);

    await writer.abort();

    expect(await store.list('runs/ft-5/')).toEqual([]);
    await expect(writer.write('late')).rejects.toThrow(
      "write to 'runs/ft-5/train.jsonl' in container 'training-data' after it was aborted",
    );
  });

  it('a staged writer committed with no text makes an empty blob', async () => {
    const writer = store.openStagedWriter('runs/ft-6/test.jsonl');
    await writer.commit();
    expect(await store.getInfo('runs/ft-6/test.jsonl')).toMatchObject({ contentLength: 0 });
  });

  it('a staged writer into a missing container fails with STORAGE.NOT_FOUND', async () => {
    const missing = new AzureBlobStore(
      createContainerClient({ connectionString: azurite.connectionString, trainingContainer: 'no-such-box' }),
    );
    const writer = missing.openStagedWriter('runs/x.jsonl');
    await writer.write('{"a":1}\n');
    await expect(writer.commit()).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });

  it('one pass over a dataset that turns invalid at its last row leaves no train.jsonl or test.jsonl', async () => {
    // ~6 MB of output at 100%: more than one 4 MiB block is staged before the last row is read.
    const rows: unknown[] = ultrachatRows(3000).map((r) => ({
      ...r,
      messages: [
        { role: 'user', content: r.prompt },
        { role: 'assistant', content: `answer ${'é'.repeat(1000)}` },
      ],
    }));
    rows.push({ messages: [{ role: 'user', content: 'a question nobody answers' }] });
    await store.writeText(
      'incoming/late-bad/train.jsonl',
      rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
    );

    const result = await validateAndPrepareDataset(
      { train: await store.openDataset('incoming/late-bad/train.jsonl') },
      { samplePercent: 100, testPercent: 10, seed: 42 },
      {
        train: store.openStagedWriter('runs/ft-late/train.jsonl'),
        test: store.openStagedWriter('runs/ft-late/test.jsonl'),
      },
    );

    expect(result.report).toMatchObject({ valid: false, rows: 3001, validRows: 3000 });
    expect(result.report.errors.map((f) => f.message)).toEqual([
      'line 3001: no assistant message; a conversation needs at least one user and one assistant message',
    ]);
    expect(await store.list('runs/ft-late/')).toEqual([]);
    const staged = await container.getBlockBlobClient('runs/ft-late/train.jsonl').getBlockList('uncommitted');
    expect(staged.uncommittedBlocks?.length).toBeGreaterThan(0);
  });

  it('one pass over a valid dataset commits train.jsonl and test.jsonl with every kept row', async () => {
    await store.writeText(
      'incoming/good/train.jsonl',
      ultrachatRows(3000)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );

    const result = await validateAndPrepareDataset(
      { train: await store.openDataset('incoming/good/train.jsonl') },
      { samplePercent: 100, testPercent: 10, seed: 42 },
      {
        train: store.openStagedWriter('runs/ft-good/train.jsonl'),
        test: store.openStagedWriter('runs/ft-good/test.jsonl'),
      },
    );

    const lines = async (path: string) => ((await store.readText(path)) ?? '').trim().split('\n').length;
    expect(result.trainRows + result.testRows).toBe(3000);
    expect(await lines('runs/ft-good/train.jsonl')).toBe(result.trainRows);
    expect(await lines('runs/ft-good/test.jsonl')).toBe(result.testRows);
  });

  it('lists blobs under a prefix', async () => {
    await store.writeText('runs/ft-3/a.json', '{}');
    await store.writeText('runs/ft-3/b.json', '[]');

    const listed = await store.list('runs/ft-3/');

    expect(listed.map((b) => [b.path, b.contentLength])).toEqual([
      ['runs/ft-3/a.json', 2],
      ['runs/ft-3/b.json', 2],
    ]);
  });

  it('a missing container is a STORAGE.NOT_FOUND error, not created behind the app', async () => {
    const missing = new AzureBlobStore(
      createContainerClient({
        connectionString: azurite.connectionString,
        trainingContainer: 'no-such-container',
      }),
    );

    await expect(missing.writeText('runs/x.json', '{}')).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
      details: { serviceCode: 'ContainerNotFound' },
    });
    const writer = missing.openWriter('runs/x.jsonl');
    await writer.write('{"a":1}\n');
    await expect(writer.close()).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });
});
