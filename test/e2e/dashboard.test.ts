// The dashboard in a real browser: headless Chromium (Debian's `chromium` package at
// /usr/bin/chromium, driven by playwright-core) against the local stack with one finished run.
// The page is served by the compiled app (dist/dashboard, `npm run build`), asks for the function
// key, and reads the API with it: the runs table lists the run, its timeline has one bar per step,
// its loss chart has the points the history API returns, the lines view shows the line (or its
// empty state where this app has no lines API). Screenshots go to test-results/ (git-ignored).
// Where no Chromium is installed the file is skipped and says so.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import type { RunView } from '../../src/domain/runView.js';
import {
  APP_DIR,
  dumpLogsOnFailure,
  startE2eStack,
  TEARDOWN_OFF,
  waitForEnd,
  type E2eStack,
} from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(
    `test/e2e/dashboard.test.ts SKIPPED: no Chromium at ${CHROMIUM} (install Debian's chromium package: apt-get install -y chromium; .ci/run does)`,
  );
}

const RESULTS = path.join(APP_DIR, 'test-results');
const DATASET = 'incoming/dash-e2e/train.jsonl';
const RUN_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 15_000;

let e2e: E2eStack;
let browser: Browser;
let finished: RunView;

interface TrackedPage {
  readonly page: Page;
  /** Every URL the page asked for. */
  readonly requested: string[];
  /** Its console errors (a CSP violation is one) and uncaught errors. */
  readonly problems: string[];
}

/** Opens the dashboard at a viewport size and types the function key into its form. */
async function openDashboard(viewport: { width: number; height: number }): Promise<TrackedPage> {
  const page = await browser.newPage({ viewport });
  const tracked: TrackedPage = { page, requested: [], problems: [] };
  page.on('request', (request) => tracked.requested.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      tracked.problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => tracked.problems.push(`page: ${error.message}`));
  await page.goto(`${e2e.stack.hostUrl}/api/dashboard`);
  await page.fill('#key', e2e.stack.functionKey);
  await page.click('#key-form button[type=submit]');
  return tracked;
}

/**
 * What every page must hold: nothing from another origin, no key in a URL, no errors; `expected404`
 * is an API path whose 404 the page handles (Chromium logs every failed fetch as a console error).
 */
async function closeClean({ page, requested, problems }: TrackedPage, expected404?: string): Promise<void> {
  await page.close();
  expect(requested.filter((url) => !url.startsWith(`${e2e.stack.hostUrl}/`))).toEqual([]);
  expect(requested.filter((url) => url.includes(e2e.stack.functionKey))).toEqual([]);
  const handled =
    expected404 === undefined
      ? undefined
      : `console: Failed to load resource: the server responded with a status of 404 (Not Found) (${e2e.stack.hostUrl}${expected404})`;
  expect(problems.filter((p) => p !== handled)).toEqual([]);
}

describe.skipIf(!HAVE_CHROMIUM)('the dashboard in headless Chromium', () => {
  dumpLogsOnFailure(() => e2e);

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    e2e = await startE2eStack({ settings: TEARDOWN_OFF });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const { runId } = await e2e.upload(DATASET, demoDataset(120));
    finished = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  it('the run ended Succeeded (what the page is checked against)', () => {
    expect(finished.status).toBe('Succeeded');
  });

  it('serves the page anonymously with a strict Content-Security-Policy', async () => {
    const response = await e2e.api('GET', '/api/dashboard', { key: null });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('the runs table lists the finished run with its status', async () => {
    const tracked = await openDashboard({ width: 1280, height: 800 });
    const { page } = tracked;
    const row = page.locator(`#runs-table tr[data-run-id="${finished.runId}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT_MS });

    expect(tracked.requested.length).toBeGreaterThan(0);
    expect(await row.locator('td').nth(1).textContent()).toBe('Succeeded');
    expect(await row.locator('td').nth(2).textContent()).toBe('dash-e2e');
    expect(await row.locator('td').nth(3).textContent()).toBe(DATASET);
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-runs.png'), fullPage: true });
    await closeClean(tracked);
  });

  it("the run's timeline has one bar per step and its loss chart the history's points", async () => {
    const history = await e2e.api('GET', `/api/runs/${finished.runId}/metrics/history`);
    const series = history.body.series as Record<string, unknown[]>;
    const lossKeys = Object.keys(series).filter((k) => k.endsWith('/loss') || k.endsWith('/eval_loss'));
    const expectedPoints = lossKeys.reduce((n, k) => n + (series[k]?.length ?? 0), 0);
    const tracked = await openDashboard({ width: 1280, height: 800 });
    const { page } = tracked;
    await page.locator(`#runs-table tr[data-run-id="${finished.runId}"] a`).click();
    const chart = page.locator('#loss-chart[data-points]');
    await chart.waitFor({ timeout: UI_TIMEOUT_MS });

    expect(await page.locator('#timeline .bar').count()).toBe(finished.steps.length);
    expect(
      await Promise.all(
        (await page.locator('#timeline .bar').all()).map((bar) => bar.getAttribute('data-step')),
      ),
    ).toEqual(finished.steps.map((s) => s.id));
    expect(lossKeys.length).toBe(2);
    expect(expectedPoints).toBeGreaterThan(0);
    expect(await chart.getAttribute('data-points')).toBe(`${expectedPoints}`);
    expect(await page.locator('#loss-chart canvas').count()).toBe(1);
    expect(await page.locator('#smoke-test .answer').textContent()).toBe(`A: ${finished.smokeTest?.answer}`);
    expect(await page.locator('#studio-link').getAttribute('href')).toBe(history.body.studioUrl);
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-run.png'), fullPage: true });
    await closeClean(tracked);
  });

  it("the lines view shows the run's line, or its empty state where there is no lines API", async () => {
    const lines = await e2e.api('GET', '/api/lines');
    const tracked = await openDashboard({ width: 1280, height: 800 });
    const { page } = tracked;
    await page.locator('#runs-table').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.click('nav a[data-view=lines]');

    if (lines.status === 404) {
      await page.locator('#lines-empty').waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.locator('#lines-empty').textContent()).toBe(
        'No lines yet: a line appears when its first model is deployed.',
      );
    } else {
      const line = (lines.body.lines as { line: string; state: string }[]).find((l) => l.line === 'dash-e2e');
      expect(line).toBeDefined();
      const badge = page.locator(`article[data-line="dash-e2e"] [data-state]`);
      await badge.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await badge.textContent()).toBe(line?.state);
    }
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-lines.png'), fullPage: true });
    await closeClean(tracked, lines.status === 404 ? '/api/lines' : undefined);
  });

  it("a failed run's page shows the failed step and its error on the timeline", async () => {
    const bad = `${demoDataset(2).trimEnd()}\n{"messages": [{"role": "user", "content": "hi"}\n`;
    const { runId } = await e2e.upload('incoming/dash-e2e-bad.jsonl', bad);
    const failed = await waitForEnd(e2e, runId, RUN_TIMEOUT_MS);
    expect(failed.error).toMatchObject({ step: 'validate', code: 'DATASET.INVALID' });
    const tracked = await openDashboard({ width: 1280, height: 800 });
    const { page } = tracked;
    await page.locator('#runs-table').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.goto(`${e2e.stack.hostUrl}/api/dashboard#/runs/${runId}`);
    const stepError = page.locator('#timeline .timeline-row.failed p.step-error');
    await stepError.waitFor({ timeout: UI_TIMEOUT_MS });

    expect(await page.locator('#timeline .bar.status-failed').getAttribute('data-step')).toBe('validate');
    expect(await stepError.textContent()).toBe(`${failed.error?.code}: ${failed.error?.message}`);
    expect(await page.locator('#timeline .findings li').allTextContents()).toEqual(
      (failed.error?.details as { line: number; code: string; message: string }[]).map(
        (d) => `line ${d.line}: ${d.code}: ${d.message}`,
      ),
    );
    expect(await page.locator('#run-error').textContent()).toBe(
      `validate failed: ${failed.error?.code}: ${failed.error?.message}`,
    );
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-failed-run.png'), fullPage: true });
    await closeClean(tracked);
  });

  it('fits a phone-width screen (375x812) without sideways scrolling', async () => {
    const tracked = await openDashboard({ width: 375, height: 812 });
    const { page } = tracked;
    await page.locator(`#runs-table tr[data-run-id="${finished.runId}"] a`).click();
    await page.locator('#loss-chart[data-points]').waitFor({ timeout: UI_TIMEOUT_MS });

    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(375);
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-run-phone.png'), fullPage: true });
    await closeClean(tracked);
  });
});
