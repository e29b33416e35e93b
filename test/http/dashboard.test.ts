import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderAssets } from '../../src/adapters/staticAssets.js';
import { handleDashboardRequest } from '../../src/http/dashboard.js';

let dir: string;
let assets: FolderAssets;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(path.join(dir, 'main.js'), 'export {};');
  assets = new FolderAssets(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (urlPath: string, param: string) =>
  handleDashboardRequest(
    new HttpRequest({ method: 'GET', url: `http://127.0.0.1${urlPath}`, params: { path: param } }),
    { assets },
  );

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe('GET /api/dashboard', () => {
  it('serves the page with a strict Content-Security-Policy and no caching of stale builds', async () => {
    const response = await get('/api/dashboard', '');

    expect(response.status).toBe(200);
    expect(Buffer.from(response.body as Uint8Array).toString()).toBe('<!doctype html><title>x</title>');
    expect(response.headers).toEqual({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
      'Content-Type': 'text/html; charset=utf-8',
    });
  });

  it('serves a file of the page by name', async () => {
    const response = await get('/api/dashboard/main.js', 'main.js');

    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['Content-Type']).toBe(
      'text/javascript; charset=utf-8',
    );
  });

  it('redirects dashboard/ to dashboard, where the page names its files from', async () => {
    const response = await get('/api/dashboard/', '');

    expect(response.status).toBe(308);
    expect((response.headers as Record<string, string>).Location).toBe('/api/dashboard');
  });

  it('an unknown file is 404 REQUEST.NOT_FOUND, with the same headers', async () => {
    const response = await get('/api/dashboard/nope.js', 'nope.js');

    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: {
        code: 'REQUEST.NOT_FOUND',
        message: "the dashboard has no file 'nope.js'; open /api/dashboard",
      },
    });
    expect((response.headers as Record<string, string>)['Content-Security-Policy']).toBe(CSP);
  });

  it('says how to build the page when its files are missing', async () => {
    const response = await handleDashboardRequest(
      new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/dashboard', params: { path: '' } }),
      { assets: new FolderAssets(path.join(dir, 'absent')) },
    );

    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: {
        code: 'REQUEST.NOT_FOUND',
        message:
          "the dashboard's files are not in this deployment: 'npm run build' writes them to dist/dashboard",
      },
    });
  });
});
