// What every chaos case shares: a fresh local stack per case (test/e2e/support.ts), its audit when
// the case is done (runs started, duplicate runs and jobs, leaked endpoints, secrets in every log
// and state file and in every blob the app wrote), and the row of figures the case adds to the table.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AZURITE_KEY } from '../../dev/azurite.js';
import type { RunView } from '../../src/domain/runView.js';
import { OWNER_TAG_VALUE, Tag } from '../../src/names.js';
import { startE2eStack, TEARDOWN_OFF, TERMINAL_STATUSES, type E2eStack } from '../e2e/support.js';
import { filesUnder, readText, scanTexts, type SecretFinding } from './secrets.js';

export interface Row {
  readonly name: string;
  cases: number;
  passed: number;
  runsStarted: number;
  duplicates: number;
  leakedEndpoints: number;
  secretsFound: number;
  /** What the latencies measure, and the samples in seconds. */
  latency?: { what: string; seconds: number[] };
  /** Why a case missed: printed under the table. */
  misses: string[];
  /** What else the case saw (which operations a storm hit, where the host was killed). */
  notes: string[];
  /** For the secrets row: sources scanned and lookups made. */
  scanned?: { sources: number; lookups: number };
  findings: SecretFinding[];
}

export const newRow = (name: string): Row => ({
  name,
  cases: 0,
  passed: 0,
  runsStarted: 0,
  duplicates: 0,
  leakedEndpoints: 0,
  secretsFound: 0,
  misses: [],
  notes: [],
  findings: [],
});

export interface CaseContext {
  readonly e2e: E2eStack;
  readonly row: Row;
  /** Records one case: passed when every check holds; each failed check is a miss with its reason. */
  check(label: string, checks: Record<string, boolean>): boolean;
}

export interface StackCaseOptions {
  readonly settings?: Record<string, string>;
  readonly persistent?: boolean;
  /** Runs the case is meant to start (more is a duplicate). */
  readonly expectedRuns: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` on a fresh stack, then audits what it left behind into the row. */
export async function onFreshStack(
  row: Row,
  options: StackCaseOptions,
  body: (ctx: CaseContext) => Promise<void>,
  onSecrets: (scan: { sources: number; lookups: number; findings: SecretFinding[] }) => void,
): Promise<void> {
  const e2e = await startE2eStack({
    settings: { ...TEARDOWN_OFF, ...options.settings },
    ...(options.persistent === undefined ? {} : { persistent: options.persistent }),
  });
  const ctx: CaseContext = {
    e2e,
    row,
    check(label, checks) {
      row.cases += 1;
      const failed = Object.entries(checks)
        .filter(([, ok]) => !ok)
        .map(([what]) => what);
      if (failed.length === 0) row.passed += 1;
      else row.misses.push(`${label}: ${failed.join('; ')}`);
      return failed.length === 0;
    },
  };
  try {
    try {
      await body(ctx);
    } catch (error) {
      row.misses.push(`${row.name}: ${error instanceof Error ? error.message : String(error)}`);
      const tail = e2e.logs.slice(-40).join('\n');
      process.stderr.write(`--- ${row.name}: last stack log lines ---\n${tail}\n---\n`);
    }
    await audit(e2e, row, options.expectedRuns, onSecrets);
  } finally {
    await e2e.close();
  }
}

/** Every run's view: GET /api/runs lists summaries (the run index), each view is read by id. */
async function allRuns(e2e: E2eStack): Promise<RunView[]> {
  const answer = await e2e.api('GET', '/api/runs?top=100');
  if (answer.status !== 200) throw new Error(`GET /api/runs answered ${answer.status}: ${answer.text}`);
  const listed = (answer.body as { runs: { runId: string }[] }).runs;
  const views = await Promise.all(listed.map((r) => e2e.run(r.runId)));
  return views.filter((v): v is RunView => v !== undefined);
}

/** Waits for every run to end (a case that gave up still leaves nothing running behind its figures). */
async function settle(e2e: E2eStack, timeoutMs: number): Promise<RunView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await allRuns(e2e);
    if (runs.every((r) => TERMINAL_STATUSES.includes(r.status)) || Date.now() > deadline) return runs;
    await sleep(1_000);
  }
}

async function audit(
  e2e: E2eStack,
  row: Row,
  expectedRuns: number,
  onSecrets: (scan: { sources: number; lookups: number; findings: SecretFinding[] }) => void,
): Promise<void> {
  const runs = await settle(e2e, 60_000);
  row.runsStarted += runs.length;
  const state = await e2e.emulatorState();
  // a run that started twice is a duplicate; so is a second job of one run
  row.duplicates += Math.max(0, runs.length - expectedRuns);
  for (const run of runs) {
    const jobs = state.jobs.filter((j) => j.tags[Tag.runId] === run.runId).length;
    if (jobs > 1) {
      row.duplicates += jobs - 1;
      row.misses.push(`${row.name}: run ${run.runId} has ${jobs} jobs`);
    }
  }
  if (runs.length > expectedRuns)
    row.misses.push(`${row.name}: ${runs.length} runs, expected ${expectedRuns}`);
  // An owned endpoint is leaked unless it is the endpoint a Succeeded run reports as serving.
  const serving = new Set(runs.filter((r) => r.status === 'Succeeded').map((r) => r.endpoint?.name));
  const leaked = state.endpoints.filter((e) => e.tags[Tag.owner] === OWNER_TAG_VALUE && !serving.has(e.name));
  row.leakedEndpoints += leaked.length;
  for (const e of leaked)
    row.misses.push(
      `${row.name}: endpoint ${e.name} (${e.tags[Tag.line] === undefined ? `run ${e.tags[Tag.runId]}` : `line ${e.tags[Tag.line]}`}) leaked`,
    );

  const scan = await scanStack(
    e2e,
    state.endpoints.map((e) => e.name),
  );
  row.secretsFound += scan.findings.length;
  for (const f of scan.findings) row.misses.push(`${row.name}: secret (${f.what}) in ${f.where}`);
  onSecrets(scan);
}

/**
 * Every secret the stack knows, looked for in its logs, in every file of its state folder but the
 * ones whose job is to hold them (the host's key store, the emulator's world with its endpoint keys
 * and TLS key, Azurite's storage files: the blobs are read through the SDK instead; stack.json, the
 * owner-only file that hands the local stack's URL, key and storage to the operator CLI), and in every
 * blob of the training container.
 */
async function scanStack(e2e: E2eStack, endpointNames: readonly string[]) {
  const keys = e2e.stack.keys;
  const values: Record<string, string> = {
    'function key': e2e.stack.functionKey,
    'host master key': keys.masterKey,
    'storage account key': AZURITE_KEY,
  };
  for (const [name, value] of Object.entries(keys.systemKeys)) values[`system key ${name}`] = value;
  for (const name of endpointNames) {
    const endpointKeys = await e2e.arm.onlineEndpoints.listKeys(e2e.rg, e2e.ws, name).catch(() => undefined);
    if (endpointKeys?.primaryKey) values[`endpoint key of ${name}`] = endpointKeys.primaryKey;
    if (endpointKeys?.secondaryKey) values[`secondary endpoint key of ${name}`] = endpointKeys.secondaryKey;
  }
  const skip = ['azurite', 'emulator', path.join('host', 'keys.json'), 'stack.json'];
  const sources = [{ where: 'stack logs', text: e2e.logs.join('\n') }];
  for (const file of filesUnder(e2e.stateDir, skip)) {
    sources.push({ where: `state file ${file}`, text: readText(path.join(e2e.stateDir, file)) });
  }
  for await (const blob of e2e.container.listBlobsFlat()) {
    sources.push({ where: `blob ${blob.name}`, text: (await e2e.readBlob(blob.name)) ?? '' });
  }
  const result = scanTexts(sources, values);
  return { sources: result.sourcesScanned, lookups: result.lookups, findings: [...result.findings] };
}

/** The BlobCreated event Event Grid sends for this blob version (as dev/storageEvents.ts builds it). */
export function blobCreatedEvent(e2e: E2eStack, blobPath: string, etag: string, id = randomUUID()) {
  const em = e2e.stack.emulator;
  const blob = e2e.container.getBlobClient(blobPath);
  return {
    id,
    topic: `/subscriptions/${em.subscriptionId}/resourceGroups/${em.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${blob.accountName}`,
    subject: `/blobServices/default/containers/${e2e.stack.trainingContainer}/blobs/${blobPath}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: 'PutBlob',
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: etag,
      contentType: 'application/x-ndjson',
      contentLength: 1,
      blobType: 'BlockBlob',
      url: blob.url,
      sequencer: '0'.repeat(32),
      storageDiagnostics: { batchId: randomUUID() },
    },
  };
}

/** POSTs events to the app's storage-events webhook, as Event Grid does; returns the status. */
export async function postStorageEvents(e2e: E2eStack, events: unknown[]): Promise<number> {
  const url = `${e2e.stack.hostUrl}/runtime/webhooks/eventgrid?functionName=datasetUploaded&code=${e2e.stack.keys.systemKeys.eventgrid_extension}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify(events),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Polls the runs every second (not faster: 20 runs at once share two cores) until each ended. */
export async function waitForAll(
  e2e: E2eStack,
  runIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, { view: RunView; endedAt: number }>> {
  const ended = new Map<string, { view: RunView; endedAt: number }>();
  const deadline = Date.now() + timeoutMs;
  while (ended.size < runIds.length) {
    for (const runId of runIds) {
      if (ended.has(runId)) continue;
      const view = await e2e.run(runId);
      if (view !== undefined && TERMINAL_STATUSES.includes(view.status))
        ended.set(runId, { view, endedAt: Date.now() });
    }
    if (ended.size === runIds.length) break;
    if (Date.now() > deadline) {
      const open = runIds.filter((id) => !ended.has(id));
      throw new Error(
        `${open.length} run(s) did not end within ${Math.round(timeoutMs / 1000)} s: ${open.join(', ')}`,
      );
    }
    await sleep(1_000);
  }
  return ended;
}

/**
 * Jobs of a run in the emulator, and the endpoints serving its model: a line's endpoint whose
 * champion is the run's model (docs/lines.md), or (a run from before lines) one tagged with its id.
 */
export async function footprint(e2e: E2eStack, runId: string): Promise<{ jobs: number; endpoints: number }> {
  const state = await e2e.emulatorState();
  const modelId = (await e2e.run(runId))?.model?.id?.toLowerCase();
  return {
    jobs: state.jobs.filter((j) => j.tags[Tag.runId] === runId).length,
    endpoints: state.endpoints.filter(
      (e) =>
        e.tags[Tag.runId] === runId ||
        (modelId !== undefined && e.tags[Tag.champion]?.toLowerCase() === modelId),
    ).length,
  };
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  // nearest rank
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
