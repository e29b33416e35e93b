// The training container over @azure/storage-blob. Datasets are gigabytes: they are streamed
// (and read by range for Parquet), never loaded whole, and pinned to the etag seen when the run
// opened them so an overwrite mid-run fails loudly instead of mixing two versions.
//
// The container is NOT created here: the deployment creates it (and Event Grid watches it), so a
// missing container is a configuration error reported as STORAGE.NOT_FOUND, not silently made.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { BlobServiceClient, type BlobClient, type ContainerClient } from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import { DomainError } from '../domain/errors.js';
import type { DatasetInput, StagedSink, TextSink } from '../domain/dataset/types.js';
import type { BlobStore } from '../domain/ports.js';
import type { BlobInfo } from '../domain/resources.js';
import type { StorageSettings } from '../config.js';
import { isNotFound, toServiceError } from './errors.js';

/** Block size and parallelism of streamed uploads (memory held = size x buffers). */
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_BUFFERS = 4;

const PRECONDITION_FAILED = 412;

/** Dataset reads: range size and ranges requested ahead of the parser (memory held = size x (ahead + 1)). */
const READ_RANGE_BYTES = 8 * 1024 * 1024;
const READ_RANGES_AHEAD = 2;
/** What the parser is given at a time (views of a range): kept rows are written after each. */
const PARSE_CHUNK_BYTES = 1024 * 1024;

/** Staged writers: block size and blocks uploading at once (memory held = size x (in flight + 1)). */
const STAGE_BLOCK_BYTES = 4 * 1024 * 1024;
const STAGE_IN_FLIGHT = 4;

export function createContainerClient(storage: StorageSettings): ContainerClient {
  let service: BlobServiceClient;
  if (storage.connectionString !== undefined) {
    service = BlobServiceClient.fromConnectionString(storage.connectionString);
  } else if (storage.blobServiceUrl !== undefined) {
    const credential =
      storage.clientId === undefined
        ? new DefaultAzureCredential()
        : new DefaultAzureCredential({ managedIdentityClientId: storage.clientId });
    service = new BlobServiceClient(storage.blobServiceUrl, credential);
  } else {
    throw new Error('storage settings name neither a connection string nor a blob service URL');
  }
  return service.getContainerClient(storage.trainingContainer);
}

export function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"(.*)"$/, '$2');
}

export class AzureBlobStore implements BlobStore {
  constructor(private readonly container: ContainerClient) {}

  async getInfo(path: string): Promise<BlobInfo | undefined> {
    try {
      const properties = await this.blob(path).getProperties();
      return { path, etag: unquote(properties.etag ?? ''), contentLength: properties.contentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toServiceError('STORAGE', `read properties of ${this.where(path)}`, error);
    }
  }

  async openDataset(path: string): Promise<DatasetInput & { readonly info: BlobInfo }> {
    const blob = this.blob(path);
    let etag: string;
    let info: BlobInfo;
    try {
      const properties = await blob.getProperties();
      etag = properties.etag ?? '';
      info = { path, etag: unquote(etag), contentLength: properties.contentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) {
        throw new DomainError('STORAGE.NOT_FOUND', `dataset ${this.where(path)} does not exist`, { path });
      }
      throw toServiceError('STORAGE', `open dataset ${this.where(path)}`, error);
    }
    const where = this.where(path);
    const pinned = { conditions: { ifMatch: etag } };
    const changed = (error: unknown): Error =>
      isStatus(error, PRECONDITION_FAILED)
        ? new DomainError(
            'STORAGE.BLOB_CHANGED',
            `dataset ${where} was overwritten while the run read it (etag ${info.etag} no longer matches); start a new run for the new version`,
            { path, etag: info.etag },
          )
        : toServiceError('STORAGE', `read dataset ${where}`, error);

    const readRange = async (start: number, end: number): Promise<Uint8Array> => {
      try {
        const response = await blob.download(start, end - start, pinned);
        return await readInto(Buffer.allocUnsafe(end - start), response.readableStreamBody);
      } catch (error) {
        throw changed(error);
      }
    };

    // Ranges of READ_RANGE_BYTES, READ_RANGES_AHEAD of them requested while the caller parses the
    // one before: the service sends whole ranges without waiting for the parser (one response
    // stream handed over 64 KiB at a time stalled on every pause), and real storage serves
    // parallel ranges faster than one stream. Memory held: (ahead + 1) ranges.
    async function* stream(): AsyncGenerator<Uint8Array> {
      const size = info.contentLength;
      const pending: Promise<Uint8Array>[] = [];
      let next = 0;
      const request = () => {
        const start = next;
        next = Math.min(size, start + READ_RANGE_BYTES);
        const range = readRange(start, next);
        range.catch(() => undefined); // awaited in order below; a range never awaited must not go unhandled
        pending.push(range);
      };
      while (next < size && pending.length < READ_RANGES_AHEAD) request();
      for (let range = pending.shift(); range !== undefined; range = pending.shift()) {
        const bytes = await range;
        if (next < size) request();
        // Handed on in views of PARSE_CHUNK_BYTES: the caller writes what it kept after each one.
        for (let at = 0; at < bytes.length; at += PARSE_CHUNK_BYTES)
          yield bytes.subarray(at, Math.min(bytes.length, at + PARSE_CHUNK_BYTES));
      }
    }

    return {
      name: path,
      format: /\.parquet$/i.test(path) ? 'parquet' : 'jsonl',
      info,
      stream,
      random: {
        byteLength: info.contentLength,
        async read(start: number, end: number): Promise<Uint8Array> {
          if (end <= start) return new Uint8Array(0);
          try {
            const response = await blob.download(start, end - start, pinned);
            return await readAll(response.readableStreamBody);
          } catch (error) {
            throw changed(error);
          }
        },
      },
    };
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      const buffer = await this.blob(path).downloadToBuffer();
      return buffer.toString('utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toServiceError('STORAGE', `read ${this.where(path)}`, error);
    }
  }

  async writeText(path: string, text: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    try {
      await this.container
        .getBlockBlobClient(path)
        .upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: contentType } });
    } catch (error) {
      throw toServiceError('STORAGE', `write ${this.where(path)}`, error);
    }
  }

  openWriter(path: string, contentType = 'text/plain; charset=utf-8'): TextSink {
    const where = this.where(path);
    const input = new PassThrough();
    let failure: Error | undefined;
    // Blocks are staged as they fill and committed only at the end: nothing is visible until close().
    const upload = this.container
      .getBlockBlobClient(path)
      .uploadStream(input, UPLOAD_BLOCK_BYTES, UPLOAD_BUFFERS, {
        blobHTTPHeaders: { blobContentType: contentType },
      })
      .then(
        () => undefined,
        (error: unknown) => {
          failure = toServiceError('STORAGE', `write ${where}`, error);
          input.destroy();
        },
      );
    let closed = false;
    // A function, so the checks after an await see what the upload's rejection handler set.
    const failed = (): Error | undefined => failure;
    return {
      async write(data: string | Uint8Array): Promise<void> {
        const early = failed();
        if (early !== undefined) throw early;
        if (closed) throw new Error(`write to ${where} after close`);
        if (!(typeof data === 'string' ? input.write(data, 'utf8') : input.write(data))) {
          await Promise.race([once(input, 'drain'), upload]);
          const late = failed();
          if (late !== undefined) throw late;
        }
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        input.end();
        await upload;
        const error = failed();
        if (error !== undefined) throw error;
      },
    };
  }

  /**
   * Text staged as uncommitted blocks (Put Block) while it is written, and made the blob's content
   * by one Put Block List on commit(). Until then nothing changes under `path`: a new blob does not
   * exist, an existing one keeps its content; after abort() the staged blocks are left for the
   * service to discard (uncommitted blocks expire after a week). Blocks upload in the background,
   * `STAGE_IN_FLIGHT` at a time; write() waits only when all of them are busy.
   */
  openStagedWriter(path: string, contentType = 'text/plain; charset=utf-8'): StagedSink {
    return new StagedBlockWriter(this.container.getBlockBlobClient(path), this.where(path), contentType);
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const blobs: BlobInfo[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({ prefix })) {
        blobs.push({
          path: item.name,
          etag: unquote(item.properties.etag),
          contentLength: item.properties.contentLength ?? 0,
        });
      }
    } catch (error) {
      throw toServiceError('STORAGE', `list ${this.where(prefix)}*`, error);
    }
    return blobs;
  }

  private blob(path: string): BlobClient {
    return this.container.getBlobClient(path);
  }

  private where(path: string): string {
    return `'${path}' in container '${this.container.containerName}'`;
  }
}

class StagedBlockWriter implements StagedSink {
  /** Block ids must all have the same length; the prefix keeps two writers of one blob apart. */
  private readonly prefix = randomBytes(6).toString('hex');
  private readonly ids: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private block = Buffer.allocUnsafe(STAGE_BLOCK_BYTES);
  private filled = 0;
  private failure: Error | undefined;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    private readonly blob: ReturnType<ContainerClient['getBlockBlobClient']>,
    private readonly where: string,
    private readonly contentType: string,
  ) {}

  async write(data: string | Uint8Array): Promise<void> {
    this.assertOpen('write to');
    let bytes =
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : Buffer.from(data.buffer, data.byteOffset, data.length);
    while (bytes.length > 0) {
      const room = this.block.length - this.filled;
      const part = bytes.length <= room ? bytes : bytes.subarray(0, room);
      part.copy(this.block, this.filled);
      this.filled += part.length;
      bytes = bytes.subarray(part.length);
      if (this.filled === this.block.length) await this.stage();
    }
  }

  async commit(): Promise<void> {
    this.assertOpen('commit');
    if (this.filled > 0) await this.stage();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.state = 'committed';
    try {
      await this.blob.commitBlockList(this.ids, { blobHTTPHeaders: { blobContentType: this.contentType } });
    } catch (error) {
      throw toServiceError('STORAGE', `write ${this.where}`, error);
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await Promise.allSettled(this.inFlight);
  }

  /** Uploads the filled block in the background, first waiting for a free slot. */
  private async stage(): Promise<void> {
    while (this.inFlight.size >= STAGE_IN_FLIGHT) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const id = Buffer.from(`${this.prefix}-${String(this.ids.length).padStart(6, '0')}`).toString('base64');
    this.ids.push(id);
    const body = this.filled === this.block.length ? this.block : this.block.subarray(0, this.filled);
    // With the block's MD5 the service verifies what it stored (Put Block's Content-MD5) instead of
    // computing a CRC64 of it: integrity for the training set, and Azurite's CRC64, in JavaScript,
    // halved its ingest (test/bench/validate.bench.ts --stack).
    const transactionalContentMD5 = createHash('md5').update(body).digest();
    const upload: Promise<void> = this.blob
      .stageBlock(id, body, body.length, { transactionalContentMD5 })
      .then(
        () => {
          this.inFlight.delete(upload);
        },
        (error: unknown) => {
          this.inFlight.delete(upload);
          this.failure ??= toServiceError('STORAGE', `write ${this.where}`, error);
        },
      );
    this.inFlight.add(upload);
    this.block = Buffer.allocUnsafe(STAGE_BLOCK_BYTES); // the staged one is still being sent
    this.filled = 0;
  }

  private assertOpen(what: string): void {
    this.throwIfFailed();
    if (this.state !== 'open') throw new Error(`${what} ${this.where} after it was ${this.state}`);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function isStatus(error: unknown, status: number): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === status
  );
}

/** Reads a response body of exactly `into.length` bytes into `into` (one copy, no concatenation). */
async function readInto(into: Buffer, body: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  let filled = 0;
  if (body !== undefined) {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      filled += bytes.copy(into, filled);
    }
  }
  return filled === into.length ? into : into.subarray(0, filled);
}

async function readAll(body: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
