import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesUnder, scanTexts } from './secrets.js';

describe('scanTexts', () => {
  it('finds a known secret value and names where and which', () => {
    const result = scanTexts(
      [
        { where: 'log', text: 'scored with key s3cr3t-endpoint-key-1 ok' },
        { where: 'a.json', text: '{"clean":true}' },
      ],
      { 'endpoint key': 's3cr3t-endpoint-key-1' },
    );
    expect(result.findings).toEqual([{ where: 'log', what: 'value endpoint key' }]);
    expect(result.sourcesScanned).toBe(2);
  });

  it('finds secrets by their shape: connection string, SAS, bearer token, key in a URL, private key', () => {
    const texts = [
      'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1;',
      'https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEfGhIjKlMnOpQr%3D',
      'authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi',
      'POST /runtime/webhooks/eventgrid?functionName=f&code=abcdefghijklmnopqrstuvwxyz012345',
      '-----BEGIN RSA PRIVATE KEY-----',
    ].map((text, i) => ({ where: `t${i}`, text }));
    expect(scanTexts(texts, {}).findings).toEqual([
      { where: 't0', what: 'storage connection string' },
      { where: 't1', what: 'SAS signature' },
      { where: 't2', what: 'bearer token' },
      { where: 't3', what: 'key in a URL' },
      { where: 't4', what: 'private key' },
    ]);
  });

  it('finds nothing in text that only names a key or masks it', () => {
    const texts = [
      {
        where: 'log',
        text: 'runsApi: run ft-abc started; the endpoint key goes in the Authorization header',
      },
      { where: 'log', text: 'webhook ...?functionName=datasetUploaded&code=***' },
    ];
    expect(scanTexts(texts, { 'master key': 'mk-0123456789' }).findings).toEqual([]);
  });

  it('counts one lookup per value of 8 or more characters and per pattern, in each source', () => {
    const result = scanTexts(
      [
        { where: 'a', text: '' },
        { where: 'b', text: '' },
      ],
      {
        long: '0123456789',
        short: 'abc',
      },
    );
    expect(result.lookups).toBe(2 * (1 + 6));
  });
});

describe('filesUnder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every file below the folder, leaving out the skipped folders and files', () => {
    mkdirSync(path.join(dir, 'host', 'durable'), { recursive: true });
    mkdirSync(path.join(dir, 'azurite'), { recursive: true });
    writeFileSync(path.join(dir, 'host', 'keys.json'), '{}');
    writeFileSync(path.join(dir, 'host', 'durable', 'run.json'), '{}');
    writeFileSync(path.join(dir, 'azurite', 'blob.db'), '');
    writeFileSync(path.join(dir, 'receipts.json'), '[]');
    expect(filesUnder(dir, ['azurite', path.join('host', 'keys.json')])).toEqual([
      path.join('host', 'durable', 'run.json'),
      'receipts.json',
    ]);
  });
});
