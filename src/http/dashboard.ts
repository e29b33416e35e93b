// GET /api/dashboard (docs/dashboard.md): the operators' page, served by the Function App itself.
// Anonymous: the page and its scripts hold no data; every data call the page makes goes to the
// key-auth API with the function key the user types in (kept in sessionStorage, sent in
// x-functions-key, never in a URL). A strict Content-Security-Policy: scripts, styles and API calls
// from this origin only, nothing inline, no frames, no forms posting anywhere.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { StaticAssetSource } from '../domain/ports.js';
import { truncated } from '../domain/untrustedInput.js';
import { errorResponse } from './errors.js';

export const DASHBOARD_ROUTE = 'dashboard/{*path}';
export const DASHBOARD_METHODS = ['GET', 'HEAD'] as const;
export const DASHBOARD_PAGE = 'index.html';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // uPlot draws on a canvas; no images are loaded
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer of the dashboard, the 404s included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // no hashed names: always revalidate, so a deployment shows at once
  'Cache-Control': 'no-cache',
};

export interface DashboardDeps {
  readonly assets: StaticAssetSource;
}

const withSecurityHeaders = (response: HttpResponseInit): HttpResponseInit => ({
  ...response,
  headers: { ...SECURITY_HEADERS, ...(response.headers as Record<string, string> | undefined) },
});

/**
 * `dashboard` is the page; `dashboard/<file>` one of its files. `dashboard/` is redirected to
 * `dashboard`, because the page names its files relative to its own URL.
 */
export async function handleDashboardRequest(
  request: HttpRequest,
  deps: DashboardDeps,
): Promise<HttpResponseInit> {
  const path = request.params.path ?? '';
  if (path === '') {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/')) {
      return withSecurityHeaders({ status: 308, headers: { Location: url.pathname.replace(/\/+$/, '') } });
    }
  }
  const name = path === '' ? DASHBOARD_PAGE : path;
  const asset = await deps.assets.get(name);
  if (asset === undefined) {
    return withSecurityHeaders(
      errorResponse({
        code: 'REQUEST.NOT_FOUND',
        message:
          name === DASHBOARD_PAGE
            ? "the dashboard's files are not in this deployment: 'npm run build' writes them to dist/dashboard"
            : `the dashboard has no file '${truncated(name)}'; open /api/dashboard`,
      }),
    );
  }
  return withSecurityHeaders({
    status: 200,
    body: asset.body,
    headers: { 'Content-Type': asset.contentType },
  });
}
