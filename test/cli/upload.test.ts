// `autopilot upload` against a real Azurite blob service, through a small recording proxy that
// notes the order of the requests (the run reads the train file's siblings when it starts, so they
// must be there first).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../dev/azurite.js';
import { writeStackFile } from '../../src/cli/connection.js';
import { main } from '../../src/cli/main.js';
import { uploadProgress } from '../../src/cli/upload.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';
import { captureIo } from './io.js';

const TRAIN = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n';

let azurite: AzuriteBlob;
let proxy: Server;
let proxied: string[] = [];
let connectionString: string;
let dir: string;
let containerName: string;
let container: ContainerClient;
let n = 0;

beforeAll(async () => {
  azurite = await startAzuriteBlob();
  const target = new URL(azurite.blobEndpoint);
  proxy = createServer((req, res) => {
    proxied.push(`${req.method} ${decodeURIComponent((req.url ?? '').split('?')[0] ?? '')}`);
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await azurite.close();
});

beforeEach(async () => {
  vi.stubEnv('AZURE_STORAGE_CONNECTION_STRING', '');
  vi.stubEnv('TRAINING_CONTAINER', '');
  dir = mkdtempSync(join(tmpdir(), 'cli-upload-'));
  containerName = `upload-${++n}`;
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    containerName,
  );
  await container.create();
  proxied = [];
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function upload(...args: string[]) {
  const { io, out } = captureIo();
  const code = await main(['upload', ...args], io);
  return { code, ...out };
}

const storage = (): string[] => ['--connection-string', connectionString, '--container', containerName];

async function blobNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

/** The run id as docs/contracts.md "Run id" defines it, written out here (not computeRunId). */
function expectedRunId(path: string, etag: string, overrides: Record<string, unknown>): string {
  const canonical = `{"container":${JSON.stringify(containerName)},"etag":${JSON.stringify(etag)},"overrides":${JSON.stringify(overrides)},"path":${JSON.stringify(path)}}`;
  return `ft-${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

async function etagOf(path: string): Promise<string> {
  const etag = (await container.getBlobClient(path).getProperties()).etag ?? '';
  return etag.replace(/^"(.*)"$/, '$1');
}

describe('autopilot upload', () => {
  it('uploads the test split and the overrides before the train file', async () => {
    const train = file('data.jsonl', TRAIN);
    const test = file('heldout.jsonl', TRAIN);
    const overrides = file('params.json', '{"num_train_epochs": 2}');
    const result = await upload(
      train,
      '--line',
      'chat',
      '--test',
      test,
      '--overrides',
      overrides,
      ...storage(),
    );
    expect(result.code).toBe(0);
    expect(proxied.filter((r) => r.startsWith('PUT '))).toEqual([
      `PUT /${AZURITE_ACCOUNT}/${containerName}/incoming/chat/test.jsonl`,
      `PUT /${AZURITE_ACCOUNT}/${containerName}/incoming/chat/finetune.json`,
      `PUT /${AZURITE_ACCOUNT}/${containerName}/incoming/chat/train.jsonl`,
    ]);
  });

  it("prints the run id the train blob's BlobCreated event starts", async () => {
    const train = file('data.jsonl', TRAIN);
    const overrides = file('params.json', '{"num_train_epochs": 2, "learning_rate": 0.0002}');
    const result = await upload(train, '--line', 'chat', '--overrides', overrides, ...storage());
    const runId = expectedRunId('incoming/chat/train.jsonl', await etagOf('incoming/chat/train.jsonl'), {
      learning_rate: 0.0002,
      num_train_epochs: 2,
    });
    expect(result.stdout.split('\n').slice(-3)).toEqual([
      `run ${runId} starts on line chat (the BlobCreated event of incoming/chat/train.jsonl starts it)`,
      `follow it: autopilot runs watch ${runId}`,
      '',
    ]);
  });

  it('uploads the overrides file byte for byte', async () => {
    const text = '{\n  "num_train_epochs": 2\n}\n';
    const result = await upload(
      file('data.jsonl', TRAIN),
      '--line',
      'chat',
      '--overrides',
      file('p.json', text),
      ...storage(),
    );
    expect(result.code).toBe(0);
    expect((await container.getBlobClient('incoming/chat/finetune.json').downloadToBuffer()).toString()).toBe(
      text,
    );
  });

  it('prints one JSON object with --json', async () => {
    const train = file('data.parquet', Buffer.from('PAR1 not really PAR1'));
    const result = await upload(train, '--line', 'Chat Bot', '--json', ...storage());
    expect(result.code).toBe(0);
    const etag = await etagOf('incoming/Chat Bot/train.parquet');
    expect(JSON.parse(result.stdout)).toEqual({
      runId: expectedRunId('incoming/Chat Bot/train.parquet', etag, {}),
      line: 'chat-bot',
      dataset: { container: containerName, path: 'incoming/Chat Bot/train.parquet', etag },
      uploaded: [{ file: train, blob: 'incoming/Chat Bot/train.parquet', bytes: 20 }],
      removed: [],
    });
  });

  it('uploads nothing and exits 1 when the overrides are wrong', async () => {
    const overrides = file('params.json', '{"num_train_epoch": 2}');
    const result = await upload(
      file('data.jsonl', TRAIN),
      '--line',
      'chat',
      '--test',
      file('t.jsonl', TRAIN),
      '--overrides',
      overrides,
      ...storage(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `autopilot upload: FINETUNE.INVALID_OVERRIDES: ${overrides}: fine-tune overrides have 1 problem: num_train_epoch: not a fine-tune parameter; did you mean 'num_train_epochs'?\n`,
    );
    expect(await blobNames()).toEqual([]);
  });

  it('exits 1 for a train file that is neither .jsonl nor .parquet', async () => {
    const train = file('data.csv', 'a,b\n');
    const result = await upload(train, '--line', 'chat', ...storage());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `autopilot upload: DATASET.BAD_PATH: ${train}: the train file must end in .jsonl or .parquet (it is uploaded as train.<ext>)\n`,
    );
  });

  it('exits 1 for a line name that is not one folder', async () => {
    const result = await upload(file('data.jsonl', TRAIN), '--line', 'a/b', ...storage());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "autopilot upload: DATASET.BAD_PATH: --line 'a/b' cannot name a dataset folder: 'incoming/a/b/train.jsonl' is not a dataset path; expected incoming/<name>/train.jsonl (or .parquet) or incoming/<name>.jsonl (or .parquet)\n",
    );
  });

  it('removes siblings left from an earlier upload that this one does not have', async () => {
    await container
      .getBlockBlobClient('incoming/chat/finetune.json')
      .uploadData(Buffer.from('{"num_train_epochs": 9}'));
    await container.getBlockBlobClient('incoming/chat/test.parquet').uploadData(Buffer.from('old'));
    const result = await upload(
      file('data.jsonl', TRAIN),
      '--line',
      'chat',
      '--test',
      file('t.jsonl', TRAIN),
      ...storage(),
    );
    expect(result.code).toBe(0);
    expect(await blobNames()).toEqual(['incoming/chat/test.jsonl', 'incoming/chat/train.jsonl']);
  });

  it("finds the local stack's storage and container in the state folder with no flags", async () => {
    writeStackFile(dir, {
      hostUrl: 'http://127.0.0.1:1',
      functionKey: 'k',
      storageConnectionString: connectionString,
      trainingContainer: containerName,
    });
    const result = await upload(file('data.jsonl', TRAIN), '--line', 'chat', '--state-dir', dir);
    expect(result.code).toBe(0);
    expect(await blobNames()).toEqual(['incoming/chat/train.jsonl']);
  });

  it('exits 2 when the container does not exist', async () => {
    const result = await upload(
      file('data.jsonl', TRAIN),
      '--line',
      'chat',
      '--connection-string',
      connectionString,
      '--container',
      'no-such-container',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "autopilot upload: STORAGE.NOT_FOUND: container 'no-such-container' does not exist in that storage account; the deployment creates it (or pass --container)\n",
    );
  });

  it('exits 2 when the train file is missing', async () => {
    const missing = join(dir, 'missing.jsonl');
    const result = await upload(missing, '--line', 'chat', ...storage());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`autopilot upload: ${missing}: no such file\n`);
  });

  it('prints a plain line per tenth of a large file when stderr is not a terminal', async () => {
    const big = file('big.jsonl', Buffer.alloc(9 * 1024 * 1024, 'a'));
    const result = await upload(big, '--line', 'chat', ...storage());
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `big.jsonl: ${p}% of 9.4 MB uploaded\n`).join(''),
    );
  });
});

describe('uploadProgress', () => {
  it('shows nothing for a small file', () => {
    const { io } = captureIo('', { stderrIsTTY: true });
    expect(uploadProgress(io, 'a.jsonl', 1024, false)).toBeUndefined();
  });

  it('shows nothing with --json', () => {
    const { io } = captureIo('', { stderrIsTTY: true });
    expect(uploadProgress(io, 'a.jsonl', 64 * 1024 * 1024, true)).toBeUndefined();
  });

  it('draws a bar in place on a terminal', () => {
    const { io, out } = captureIo('', { stderrIsTTY: true });
    const progress = uploadProgress(io, 'a.jsonl', 10_000_000, false);
    progress?.update(5_000_000);
    progress?.done();
    expect(out.stderr).toBe(
      `\ra.jsonl [${'#'.repeat(15)}${'.'.repeat(15)}] 50% of 10.0 MB   \ra.jsonl [${'#'.repeat(30)}] 100% of 10.0 MB   \n`,
    );
  });
});

describe('autopilot upload --account-url', () => {
  it('refuses a URL with a query (a SAS belongs nowhere on a command line)', async () => {
    const url = 'https://acct.blob.core.windows.net/?sv=2024&sig=secret';
    const result = await upload(file('data.jsonl', TRAIN), '--line', 'chat', '--account-url', url);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "autopilot upload: --account-url must be the blob service URL alone, e.g. https://<account>.blob.core.windows.net (no query, no SAS), got 'https://acct.blob.core.windows.net/'\n",
    );
  });

  it('refuses plain http: Entra ID tokens are only sent over TLS', async () => {
    const url = 'http://127.0.0.1:10000/acct';
    const result = await upload(file('data.jsonl', TRAIN), '--line', 'chat', '--account-url', url);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "autopilot upload: --account-url must be https: Entra ID tokens are only sent over TLS, got 'http://127.0.0.1:10000/acct'\n",
    );
  });
});
