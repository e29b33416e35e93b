// `npm run demo`: a serving line's whole life on the local stack, no Azure account. Drops v1 of a
// dataset under incoming/<line>/, follows its run through the HTTP API step by step and calls the
// line's endpoint; drops v2, which rolls out beside v1 and takes over on the same scoring URI; then
// nobody calls it and the teardown timer parks the line (deployments deleted, endpoint kept); a
// wake brings the model back on the same URI. Exit 0 when all of that happened, 1 with the reason
// when it did not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { computeRunId, unquoteEtag } from '../src/domain/runId.js';
import type { LineView } from '../src/domain/line.js';
import type { RunView, StepView } from '../src/domain/runView.js';
import { demoDataset } from './demoData.js';
import { httpsRequest } from './httpsClient.js';
import { startStack, type RunningStack } from './stack.js';

export interface DemoOptions {
  appDir: string;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Host/emulator/storage logs (default: dropped, unless --verbose). */
  log?: (line: string) => void;
  rows?: number;
  /** Give up waiting for the run after this long. */
  runTimeoutSeconds?: number;
  /** Give up waiting for the teardown after this long. */
  teardownTimeoutSeconds?: number;
}

/** Short timings so the whole story fits in a couple of minutes; idle time is real time. */
export const DEMO_SETTINGS = {
  JOB_POLL_INTERVAL_SECONDS: '3',
  JOB_DEADLINE_SECONDS: '300',
  IDLE_WINDOW_SECONDS: '10',
  IDLE_GRACE_SECONDS: '10',
  TEARDOWN_SCHEDULE: '*/5 * * * * *',
  TEARDOWN_DRY_RUN: 'false',
  // the window ends this far behind now: the minute it ends in must be complete to be reported
  TEARDOWN_METRICS_DELAY_SECONDS: '30',
  ROLLOUT_DRAIN_SECONDS: '2',
} as const;
const DEMO_CLOCK = { jobSeconds: 6, lroSeconds: 1 };
const LINE = 'demo-ultrachat';
const DATASET_PATH = `incoming/${LINE}/train.jsonl`;
const TERMINAL = new Set(['Succeeded', 'NotDeployed', 'RolledBack', 'Failed', 'Canceled']);

export async function runDemo(options: DemoOptions): Promise<number> {
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  // On a terminal, one status line (current step, elapsed) is redrawn in place under the timeline.
  const tty = options.out.isTTY === true;
  let liveShown = false;
  const say = (line: string): void => {
    if (liveShown) options.out.write('\r\x1b[K');
    liveShown = false;
    options.out.write(`${line}\n`);
  };
  const live = (text: string): void => {
    if (!tty) return;
    options.out.write(`\r\x1b[K${text}`);
    liveShown = true;
  };
  const stateDir = mkdtempSync(path.join(tmpdir(), 'autopilot-demo-'));
  const teardownLines: string[] = [];
  let stack: RunningStack | undefined;
  try {
    say(
      'finetune-autopilot demo: a serving line: v1 -> v2 rolls out on the same URI -> idle, parked -> woken',
    );
    say(
      'Everything runs locally: Azurite, the Azure ML emulator and the Functions host (no Azure account).\n',
    );
    stack = await startStack({
      appDir: options.appDir,
      stateDir,
      settings: { ...DEMO_SETTINGS },
      emulatorConfig: { clock: DEMO_CLOCK },
      log: (line) => {
        options.log?.(line);
        if (/idleEndpointTeardown/.test(line) && /(parked|deleted|would delete)/i.test(line))
          teardownLines.push(line);
      },
    });
    say(
      `[${elapsed()}] local stack ready: host ${stack.hostUrl}, Azure ML emulator ${stack.emulator.baseUrl}`,
    );

    const rows = options.rows ?? 240;
    const container = BlobServiceClient.fromConnectionString(
      stack.storageConnectionString,
    ).getContainerClient(stack.trainingContainer);
    const release = async (version: string, count: number): Promise<RunView | undefined> => {
      const body = demoDataset(count);
      const upload = await container.getBlockBlobClient(DATASET_PATH).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
      });
      const { runId } = computeRunId({
        container: stack!.trainingContainer,
        path: DATASET_PATH,
        etag: unquoteEtag(upload.etag ?? ''),
        overrides: {},
      });
      say(
        `[${elapsed()}] ${version}: uploaded ${count} conversations to ${stack!.trainingContainer}/${DATASET_PATH}`,
      );
      say(`[${elapsed()}] the BlobCreated event starts run ${runId}\n`);
      const view = await followRun(stack!, runId, options.runTimeoutSeconds ?? 120, { say, live, elapsed });
      if (view === undefined) {
        say(`\nThe run did not finish in time. Run 'npm start' and GET /api/runs/${runId} to look closer.`);
        return undefined;
      }
      if (view.status !== 'Succeeded' || view.endpoint === undefined) {
        const error = view.error
          ? `${view.error.step}: ${view.error.code}: ${view.error.message}`
          : view.status;
        say(`\nThe run ended ${view.status}: ${error}`);
        return undefined;
      }
      return view;
    };

    say(`v1: the first model of line '${LINE}' (the dataset's name)`);
    const v1 = await release('v1', rows);
    if (v1?.endpoint === undefined) return 1;
    say(`\nSmoke test (one held-out conversation, scored on the new deployment before it took traffic)`);
    say(`  asked     ${lastUserTurn(v1.smokeTest?.input) ?? '(none)'}`);
    say(`  answer    ${v1.smokeTest?.answer ?? '(none)'}`);
    const endpoint = v1.endpoint;
    const key = await endpointKey(stack, endpoint.name);
    say(`\n[${elapsed()}] the line serves at ${endpoint.scoringUri}; calling it as a user would`);
    for (const question of ['What is LoRA fine-tuning?', 'What is Event Grid?']) {
      const answer = await score(stack, endpoint.scoringUri, key, question);
      say(`  Q: ${question}\n  A: ${answer}`);
    }

    say(
      `\nv2: more data for the same line; the new model rolls out beside v1, which keeps serving meanwhile`,
    );
    const v2 = await release('v2', rows + 40);
    if (v2?.endpoint === undefined) return 1;
    const rolled = await lineView(stack);
    const sameUri = v2.endpoint.scoringUri === endpoint.scoringUri;
    say(`\n[${elapsed()}] rollout: ${v2.rollout?.reason ?? '-'}`);
    say(`  scoring URI ${sameUri ? 'unchanged' : 'CHANGED'}: ${v2.endpoint.scoringUri}`);
    say(`  traffic     ${JSON.stringify(rolled.traffic)}   champion ${rolled.champion?.label ?? '-'}`);
    if (!sameUri) return 1;
    const after = await score(stack, endpoint.scoringUri, key, 'Who answers now?');
    say(`  Q: Who answers now?\n  A: ${after}`);

    say(
      `\n[${elapsed()}] now nobody calls it: the teardown timer parks a line with no requests in ${DEMO_SETTINGS.IDLE_WINDOW_SECONDS} s`,
    );
    say(`           (deployments deleted: no GPU billed; the endpoint, its URI and keys stay)`);
    const parked = await waitForLine(stack, 'parked', options.teardownTimeoutSeconds ?? 150, {
      say,
      live,
      elapsed,
    });
    if (parked === undefined) {
      say(`\nThe idle line was not parked in time.`);
      return 1;
    }
    const decision = teardownLines.find((l) => l.includes(`: parked ${endpoint.name}`));
    if (decision !== undefined) say(`  ${decision.replace(/^.*?idleEndpointTeardown: /, 'teardown: ')}`);
    say(
      `[${elapsed()}] line '${LINE}' parked at ${parked.parkedSince ?? '?'}; endpoint ${parked.endpoint.name} kept`,
    );

    const wokenAt = Date.now();
    const wake = await fetch(`${stack.hostUrl}/api/lines/${LINE}/wake`, {
      method: 'POST',
      headers: { 'x-functions-key': stack.functionKey },
    });
    say(
      `\n[${elapsed()}] POST /api/lines/${LINE}/wake -> ${wake.status}, Retry-After ${wake.headers.get('retry-after') ?? '-'} s`,
    );
    let answer: string | undefined;
    while (answer === undefined && Date.now() - wokenAt < 60_000) {
      answer = await score(stack, endpoint.scoringUri, key, 'Awake again?').catch(() => undefined);
      if (answer === undefined) await sleep(250);
    }
    if (answer === undefined) {
      say('The woken line did not answer within 60 s.');
      return 1;
    }
    say(
      `[${elapsed()}] answered on the same URI ${((Date.now() - wokenAt) / 1000).toFixed(1)} s after the wake request`,
    );
    say(`  Q: Awake again?\n  A: ${answer}\n`);

    say('Summary');
    say(`  line       ${LINE}  endpoint ${endpoint.name} (one URI for v1, v2, park and wake)`);
    say(
      `  runs       v1 ${v1.runId} ${v1.rollout?.outcome ?? '-'}, v2 ${v2.runId} ${v2.rollout?.outcome ?? '-'}`,
    );
    say(`  model      ${v2.model ? `${v2.model.name}:${v2.model.version}` : '-'}`);
    // The numbers people look at first: losses and perplexity.
    const metrics = Object.entries(v2.metrics ?? {}).filter(([k]) => /loss|perplexity/i.test(k));
    say(`  metrics    ${metrics.map(([k, v]) => `${k}=${Number(v.toFixed(4))}`).join(', ') || '-'}`);
    say(`  elapsed    ${elapsed().trim()}`);
    return 0;
  } catch (error) {
    say(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

interface Printer {
  /** A timeline line. */
  say: (line: string) => void;
  /** The redrawn status line (terminals only). */
  live: (text: string) => void;
  elapsed: () => string;
}

/** Polls GET /api/runs/{id}, printing each step as it starts and ends. */
async function followRun(
  stack: RunningStack,
  runId: string,
  timeoutSeconds: number,
  { say, live, elapsed }: Printer,
): Promise<RunView | undefined> {
  const seen = new Map<string, string>();
  const deadline = Date.now() + timeoutSeconds * 1000;
  let announcedWaiting = false;
  while (Date.now() < deadline) {
    const response = await fetch(`${stack.hostUrl}/api/runs/${runId}`, {
      headers: { 'x-functions-key': stack.functionKey },
    });
    if (response.status === 404) {
      if (!announcedWaiting) say(`[${elapsed()}] waiting for the storage event to start the run…`);
      announcedWaiting = true;
    } else if (response.ok) {
      const view = (await response.json()) as RunView;
      for (const step of view.steps) {
        if (seen.get(step.id) === step.status || step.status === 'pending') continue;
        seen.set(step.id, step.status);
        say(`[${elapsed()}] ${step.id.padEnd(13)} ${step.status.padEnd(9)} ${describe(step, view)}`);
      }
      if (TERMINAL.has(view.status)) return view;
      live(`[${elapsed()}] ${view.step} ${view.steps.find((st) => st.id === view.step)?.status ?? ''}…`);
    } else {
      throw new Error(`GET /api/runs/${runId} answered ${response.status}: ${await response.text()}`);
    }
    await sleep(500);
  }
  return undefined;
}

/** The question the smoke test ended on: its input is the conversation up to the last user turn. */
function lastUserTurn(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  const turns = input as { role?: unknown; content?: unknown }[];
  const last = turns.filter((t) => t.role === 'user').at(-1);
  return typeof last?.content === 'string' ? last.content : undefined;
}

function describe(step: StepView, view: RunView): string {
  if (step.status === 'running')
    return step.id === 'train' ? `job ${view.jobName ?? ''} running on the cluster` : '';
  return step.detail ?? '';
}

function armUrl(stack: RunningStack, suffix: string): string {
  const e = stack.emulator;
  return (
    `${e.baseUrl}/subscriptions/${e.subscriptionId}/resourceGroups/${e.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${e.workspace}/${suffix}?api-version=2022-10-01`
  );
}

// The emulator accepts any bearer token; in Azure this would be an Entra token for ARM.
const DEMO_ARM_TOKEN = { authorization: 'Bearer local-demo' };

async function endpointKey(stack: RunningStack, endpoint: string): Promise<string> {
  const result = await httpsRequest(armUrl(stack, `onlineEndpoints/${endpoint}/listKeys`), {
    ca: stack.emulatorHandle.caCert,
    method: 'POST',
    headers: DEMO_ARM_TOKEN,
  });
  if (result.status !== 200) throw new Error(`listKeys answered ${result.status}: ${result.text}`);
  return (JSON.parse(result.text) as { primaryKey: string }).primaryKey;
}

async function score(
  stack: RunningStack,
  scoringUri: string,
  key: string,
  question: string,
): Promise<string> {
  const result = await httpsRequest(scoringUri, {
    ca: stack.emulatorHandle.caCert,
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: {
      input_data: {
        input_string: [{ role: 'user', content: question }],
        parameters: { temperature: 0.6, top_p: 0.9, do_sample: true, max_new_tokens: 200 },
      },
    },
  });
  if (result.status !== 200) throw new Error(`scoring answered ${result.status}: ${result.text}`);
  const parsed = JSON.parse(result.text) as unknown;
  if (typeof parsed === 'string') return parsed;
  if (typeof parsed === 'object' && parsed !== null && 'output' in parsed) return String(parsed.output);
  return result.text;
}

async function lineView(stack: RunningStack): Promise<LineView> {
  const response = await fetch(`${stack.hostUrl}/api/lines/${LINE}`, {
    headers: { 'x-functions-key': stack.functionKey },
  });
  if (response.status !== 200)
    throw new Error(`GET /api/lines/${LINE} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as LineView;
}

async function waitForLine(
  stack: RunningStack,
  state: LineView['state'],
  timeoutSeconds: number,
  { say, live, elapsed }: Printer,
): Promise<LineView | undefined> {
  const start = Date.now();
  let lastTick = start;
  while (Date.now() - start < timeoutSeconds * 1000) {
    const view = await lineView(stack);
    if (view.state === state) return view;
    live(
      `[${elapsed()}] idle for ${Math.round((Date.now() - start) / 1000)} s, waiting for the teardown timer…`,
    );
    if (Date.now() - lastTick >= 30_000) {
      lastTick = Date.now();
      say(`[${elapsed()}] still ${view.state}, idle for ${Math.round((lastTick - start) / 1000)} s`);
    }
    await sleep(1000);
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
