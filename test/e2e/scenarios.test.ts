// A demanding user's scenarios around the main flow, end to end on the real local stack: dataset
// layouts, bad fine-tune overrides, compute problems, the quality gate, jobs that fail or are
// cancelled in Azure ML, and uploads that must not start a run. Two stacks at most: the compute and
// gate scenarios need other app settings, and change them between runs by restarting the host (as
// changing a Function App's settings in Azure restarts it).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import { defaultConfig } from '../../dev/emulator/config.js';
import type { RunView } from '../../src/domain/runView.js';
import { writeUltrachatParquet, type UltrachatRow } from '../adapters/parquetFixture.js';
import { startScenarioStack, type ScenarioStack } from './scenarioSupport.js';

const RUN_TIMEOUT_MS = 60_000;
const FAST_FAIL_TIMEOUT_MS = 30_000;

/** `rows` conversations, made distinct per call so each upload is a new dataset. */
function dataset(rows: number, tag: string): string {
  return demoDataset(rows)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const row = JSON.parse(line) as { prompt: string; prompt_id: string };
      return JSON.stringify({
        ...row,
        prompt: `${row.prompt} [${tag}]`,
        prompt_id: `${tag}-${row.prompt_id}`,
      });
    })
    .join('\n')
    .concat('\n');
}

const lines = (text: string): number => text.split('\n').filter((l) => l.trim() !== '').length;

function step(view: RunView, id: string) {
  const found = view.steps.find((s) => s.id === id);
  if (found === undefined) throw new Error(`run ${view.runId} has no step ${id}`);
  return found;
}

/** Reads a blob the app wrote, or undefined when it does not exist. */
async function readBlob(s: ScenarioStack, blobPath: string): Promise<string | undefined> {
  const blob = s.container.getBlobClient(blobPath);
  if (!(await blob.exists())) return undefined;
  return (await blob.downloadToBuffer()).toString('utf8');
}

/** The fine-tune node's literal inputs of a job, as Azure ML holds them. */
async function jobLiterals(s: ScenarioStack, jobName: string): Promise<Record<string, string>> {
  const job = await s.arm(`jobs/${jobName}`);
  expect(job.status, `GET jobs/${jobName}: ${job.text}`).toBe(200);
  const nodes = Object.values(
    job.body.properties.jobs as Record<string, { inputs: Record<string, unknown> }>,
  );
  expect(nodes).toHaveLength(1);
  const literals: Record<string, string> = {};
  for (const [name, input] of Object.entries(nodes[0]!.inputs)) {
    const value = (input as { job_input_type?: string; value?: unknown; uri?: string }) ?? {};
    literals[name] = value.job_input_type === 'literal' ? String(value.value) : String(value.uri);
  }
  return literals;
}

/** No user-facing text names a key or carries a stack trace. */
function expectClean(s: ScenarioStack, text: string): void {
  for (const secret of s.secrets()) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('scenarios on the default settings', () => {
  let s: ScenarioStack;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'autopilot-scenario-data-'));
    s = await startScenarioStack();
  }, 90_000);

  afterAll(async () => {
    await s?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'runs a single-file dataset incoming/<name>.jsonl, splitting off its own test set',
    async () => {
      const blobPath = 'incoming/single-file.jsonl';
      const etag = await s.upload(blobPath, dataset(40, 'single'));
      const runId = s.runIdOf(blobPath, etag);
      const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
      expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
      expect(view.dataset).toEqual({ container: s.stack.trainingContainer, path: blobPath, etag });
      const train = await readBlob(s, `runs/${runId}/train.jsonl`);
      const test = await readBlob(s, `runs/${runId}/test.jsonl`);
      expect(lines(train ?? '') + lines(test ?? '')).toBe(40);
      expect(lines(test ?? '')).toBeGreaterThan(0);
      // a single file's line is its name: the line's endpoint is the name + 8 hex
      expect(view.line).toBe('single-file');
      expect(view.endpoint?.name).toMatch(/^single-file-[0-9a-f]{8}$/);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it(
    'runs a folder dataset with the test set and finetune.json uploaded beside it first',
    async () => {
      const overrides = { num_train_epochs: 2, learning_rate: 0.00002, lora_r: 16, apply_deepspeed: false };
      await s.upload('incoming/folder/test.jsonl', dataset(7, 'folder-test'));
      await s.upload('incoming/folder/finetune.json', JSON.stringify(overrides));
      const etag = await s.upload('incoming/folder/train.jsonl', dataset(30, 'folder-train'));
      const runId = s.runIdOf('incoming/folder/train.jsonl', etag, overrides);
      const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
      expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');

      // The given test set is the held-out set, whole: no rows split off the training file.
      expect(step(view, 'prepare').detail).toBe('30 train rows, 7 test rows');
      expect(lines((await readBlob(s, `runs/${runId}/test.jsonl`)) ?? '')).toBe(7);
      expect(lines((await readBlob(s, `runs/${runId}/train.jsonl`)) ?? '')).toBe(30);

      // The job Azure ML holds carries the overrides, as the component's strings.
      const literals = await jobLiterals(s, runId);
      expect(literals).toMatchObject({
        num_train_epochs: '2',
        learning_rate: '0.00002',
        lora_r: '16',
        apply_deepspeed: 'false',
      });
      expect(literals.test_file_path).toBe(
        `azureml://datastores/trainingdata/paths/runs/${runId}/test.jsonl`,
      );
      expect(step(view, 'submit').detail).toContain('-nods-');
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it(
    'fails at prepare, naming test.jsonl and its bad lines, when the given test set is invalid',
    async () => {
      const badTest = `${dataset(3, 'bad-test')}{"messages": [{"role": "bot", "content": "hi"}]}\nnot json\n`;
      await s.upload('incoming/bad-test/test.jsonl', badTest);
      const blobPath = 'incoming/bad-test/train.jsonl';
      const etag = await s.upload(blobPath, dataset(60, 'bad-test-train'));
      const runId = s.runIdOf(blobPath, etag);
      const view = await s.waitForEnd(runId, FAST_FAIL_TIMEOUT_MS);
      expect(view.status).toBe('Failed');
      expect(view.error?.step).toBe('prepare');
      expect(view.error?.message).toContain('incoming/bad-test/test.jsonl');
      const details = view.error?.details as { line: number; code: string; message: string }[];
      expect(details.map((d) => d.line)).toEqual([4, 5]);
      for (const d of details) expect(d.code).toMatch(/^DATASET\./);
      expect((await s.emulatorState()).jobs.map((j) => j.name)).not.toContain(runId);
      expectClean(s, JSON.stringify(view));
    },
    FAST_FAIL_TIMEOUT_MS + 10_000,
  );

  it(
    'runs a dataset whose folder name has spaces and non-ASCII letters',
    async () => {
      const blobPath = 'incoming/données clients 2026/train.jsonl';
      const etag = await s.upload(blobPath, dataset(60, 'unicode'));
      const runId = s.runIdOf(blobPath, etag);
      const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
      expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
      expect(view.dataset.path).toBe(blobPath);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it(
    'runs a Parquet dataset train.parquet',
    async () => {
      const rows: UltrachatRow[] = dataset(60, 'parquet')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as UltrachatRow);
      const file = path.join(workDir, 'train.parquet');
      await writeUltrachatParquet(file, rows);
      const blobPath = 'incoming/parquet/train.parquet';
      const etag = await s.upload(blobPath, readFileSync(file));
      const runId = s.runIdOf(blobPath, etag);
      const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
      expect(view.status, JSON.stringify(view.error)).toBe('Succeeded');
      expect(step(view, 'validate').detail).toContain('60 of 60 rows valid (parquet)');
      const train = (await readBlob(s, `runs/${runId}/train.jsonl`)) ?? '';
      const test = (await readBlob(s, `runs/${runId}/test.jsonl`)) ?? '';
      expect(lines(train) + lines(test)).toBe(60);
      // Prepared as chat JSONL for the component, whatever the upload's format.
      const first = JSON.parse(train.split('\n')[0]!) as { messages: unknown[] };
      expect(Array.isArray(first.messages)).toBe(true);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it(
    'fails a run whose finetune.json has bad overrides, listing every problem, without a job',
    async () => {
      const overrides = { num_train_epoch: 3, learning_rate: 'fast', apply_lora: 'maybe' };
      await s.upload('incoming/bad-overrides/finetune.json', JSON.stringify(overrides));
      const etag = await s.upload('incoming/bad-overrides/train.jsonl', dataset(60, 'bad-overrides'));
      const runId = s.runIdOf('incoming/bad-overrides/train.jsonl', etag, overrides);
      const view = await s.waitForEnd(runId, FAST_FAIL_TIMEOUT_MS);
      expect(view.status).toBe('Failed');
      expect(view.error?.code).toBe('FINETUNE.INVALID_OVERRIDES');
      expect(view.error?.message).toContain('incoming/bad-overrides/finetune.json');
      const details = view.error?.details as { parameter: string; code: string; message: string }[];
      expect(details.map((d) => [d.parameter, d.code])).toEqual([
        ['num_train_epoch', 'FINETUNE.UNKNOWN_PARAMETER'],
        ['learning_rate', 'FINETUNE.BAD_TYPE'],
        ['apply_lora', 'FINETUNE.BAD_TYPE'],
      ]);
      expect(details[0]?.message).toContain("did you mean 'num_train_epochs'");
      expect(view.jobName).toBeUndefined();
      expect(step(view, 'submit').status).toBe('skipped');
      expect((await s.emulatorState()).jobs.map((j) => j.name)).not.toContain(runId);
      expect((await s.arm(`jobs/${runId}`)).status).toBe(404);
      expectClean(s, JSON.stringify(view));
    },
    FAST_FAIL_TIMEOUT_MS + 10_000,
  );

  it(
    'fails a run whose finetune.json is not JSON, naming the file, without a job',
    async () => {
      await s.upload('incoming/broken-overrides/finetune.json', '{"num_train_epochs": 2,}');
      const blobPath = 'incoming/broken-overrides/train.jsonl';
      const etag = await s.upload(blobPath, dataset(60, 'broken-overrides'));
      // Unreadable overrides name no run: the run is the dataset version's, with none.
      const runId = s.runIdOf(blobPath, etag);
      const view = await s.waitForEnd(runId, FAST_FAIL_TIMEOUT_MS);
      expect(view.status).toBe('Failed');
      expect(view.error?.step).toBe('validate');
      expect(view.error?.code).toBe('FINETUNE.OVERRIDES_NOT_JSON');
      expect(view.error?.message).toMatch(/^incoming\/broken-overrides\/finetune\.json is not valid JSON: /);
      expect((await s.emulatorState()).jobs.map((j) => j.name)).not.toContain(runId);

      // Asked through the API instead, the same file is a 400 that names it.
      const answer = await s.api('POST', '/api/runs', { dataset: blobPath, force: true });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.error.code).toBe('FINETUNE.OVERRIDES_NOT_JSON');
      expect(answer.body.error.message).toContain('incoming/broken-overrides/finetune.json');
      expectClean(s, answer.text);
    },
    FAST_FAIL_TIMEOUT_MS + 10_000,
  );

  it('answers POST /api/runs with bad overrides 400 and the list of problems, starting nothing', async () => {
    await s.upload('incoming/api-bad/train.jsonl', dataset(20, 'api-bad'));
    const answer = await s.api('POST', '/api/runs', {
      dataset: 'incoming/api-bad/train.jsonl',
      overrides: { lora_rank: 8, num_train_epochs: 0, lr_scheduler_type: 'exponential' },
    });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.error.code).toBe('FINETUNE.INVALID_OVERRIDES');
    const details = answer.body.error.details as { parameter: string; code: string }[];
    expect(details.map((d) => d.parameter)).toEqual(['lora_rank', 'num_train_epochs', 'lr_scheduler_type']);
    expect(answer.body.error.message).toContain('3 problems');
    expectClean(s, answer.text);
    const listed = await s.api('GET', '/api/runs?top=100');
    const paths = (listed.body.runs as RunView[]).map((r) => r.dataset.path);
    // The event of that upload started a run with no overrides; the POST started none.
    expect(paths.filter((p) => p === 'incoming/api-bad/train.jsonl').length).toBeLessThanOrEqual(1);
  });

  it(
    'ignores a finetune.json uploaded after its train.jsonl; POST /api/runs then starts a run with it',
    async () => {
      const blobPath = 'incoming/late-overrides/train.jsonl';
      const etag = await s.upload(blobPath, dataset(60, 'late-overrides'));
      const firstId = s.runIdOf(blobPath, etag);
      const first = await s.waitForEnd(firstId, RUN_TIMEOUT_MS);
      expect(first.status, JSON.stringify(first.error)).toBe('Succeeded');
      // Phi-4's model_specific_defaults set num_train_epochs 1 (over the notebook's 3)
      expect((await jobLiterals(s, firstId)).num_train_epochs).toBe('1');

      const overrides = { num_train_epochs: 2 };
      await s.upload('incoming/late-overrides/finetune.json', JSON.stringify(overrides));
      await s.waitForLog(/datasetUploaded: ignored \S+\/late-overrides\/finetune\.json/, 15_000);
      expect((await s.api('GET', `/api/runs/${firstId}`)).body).toEqual(first);

      const answer = await s.api('POST', '/api/runs', { dataset: blobPath });
      expect(answer.status, answer.text).toBe(202);
      const secondId = s.runIdOf(blobPath, etag, overrides);
      expect(answer.body.runId).toBe(secondId);
      const second = await s.waitForEnd(secondId, RUN_TIMEOUT_MS);
      expect(second.status, JSON.stringify(second.error)).toBe('Succeeded');
      expect((await jobLiterals(s, secondId)).num_train_epochs).toBe('2');
    },
    2 * RUN_TIMEOUT_MS + 10_000,
  );

  for (const outcome of ['Failed', 'Canceled'] as const) {
    it(
      `ends Failed with JOB.${outcome.toUpperCase()} when Azure ML ends the job ${outcome}, with no endpoint`,
      async () => {
        const blobPath = `incoming/job-${outcome.toLowerCase()}.jsonl`;
        const etag = await s.upload(blobPath, dataset(60, `job-${outcome}`));
        const runId = s.runIdOf(blobPath, etag);
        // Force the outcome as soon as the job exists (it runs 5 simulated seconds).
        const deadline = Date.now() + FAST_FAIL_TIMEOUT_MS;
        let forced: { status: number; text: string } = { status: 0, text: 'job not submitted yet' };
        while (Date.now() < deadline && forced.status !== 200) {
          forced = await s.admin('POST', `jobs/${runId}/outcome`, { status: outcome });
          if (forced.status !== 200) await new Promise((r) => setTimeout(r, 200));
        }
        expect(forced.status, `forcing the outcome of ${runId}: ${forced.text}`).toBe(200);
        const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
        expect(view.status).toBe('Failed');
        expect(view.error?.step).toBe('train');
        expect(view.error?.code).toBe(`JOB.${outcome.toUpperCase()}`);
        expect(view.error?.message).toContain(runId);
        // Where to look next: the job's page in Azure ML studio.
        expect(view.error?.message).toMatch(/; its logs and outputs: https:\/\/ml\.azure\.com\/runs\/ft-/);
        expect(view.endpoint).toBeUndefined();
        expect(view.model).toEqual({ base: { name: 'Phi-4', version: '8' } }); // no model registered: only the base model is known
        expect(step(view, 'deploy').status).toBe('skipped');
        const state = await s.emulatorState();
        expect(state.jobs.find((j) => j.name === runId)?.status).toBe(outcome);
        expect(state.endpoints.filter((e) => e.name.startsWith(runId.slice(0, 15)))).toEqual([]);
      },
      RUN_TIMEOUT_MS + FAST_FAIL_TIMEOUT_MS,
    );
  }

  it('starts no run for test.jsonl or finetune.json alone, a .txt under incoming/, or a blob outside it', async () => {
    const ignoredPaths = [
      'incoming/lonely/test.jsonl',
      'incoming/lonely-overrides/finetune.json',
      'incoming/notes.txt',
    ];
    await s.upload(ignoredPaths[0]!, dataset(5, 'lonely'));
    await s.upload(ignoredPaths[1]!, JSON.stringify({ num_train_epochs: 1 }));
    await s.upload(ignoredPaths[2]!, 'not a dataset\n');
    await s.upload('elsewhere/train.jsonl', dataset(5, 'elsewhere'));
    for (const ignored of ignoredPaths) {
      await s.waitForLog(
        new RegExp(`datasetUploaded: ignored \\S+/blobs/${ignored.replace(/\./g, '\\.')}`),
        15_000,
      );
    }
    // The storage subscription filters on incoming/, so Event Grid never sends the outside blob;
    // the app must ignore it even if it did: deliver its event straight to the webhook.
    const keys = s.stack.keys.systemKeys;
    const delivered = await fetch(
      `${s.stack.hostUrl}/runtime/webhooks/eventgrid?functionName=datasetUploaded&code=${keys.eventgrid_extension}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([
          {
            id: 'outside-incoming-1',
            // our account (Azurite's): an event from another account is ignored before its path is read
            topic:
              '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
            subject: `/blobServices/default/containers/${s.stack.trainingContainer}/blobs/elsewhere/train.jsonl`,
            eventType: 'Microsoft.Storage.BlobCreated',
            eventTime: new Date().toISOString(),
            dataVersion: '',
            metadataVersion: '1',
            data: { api: 'PutBlob', eTag: '0x8DEADBEEF', blobType: 'BlockBlob', contentLength: 10 },
          },
        ]),
      },
    );
    expect(delivered.status).toBeLessThan(300);
    await s.waitForLog(
      /datasetUploaded: ignored \S+\/blobs\/elsewhere\/train\.jsonl: .*outside incoming\//,
      15_000,
    );

    const listed = await s.api('GET', '/api/runs?top=100');
    expect(listed.status).toBe(200);
    const paths = (listed.body.runs as RunView[]).map((r) => r.dataset.path);
    for (const ignored of [...ignoredPaths, 'elsewhere/train.jsonl']) expect(paths).not.toContain(ignored);
    // And the API says why a POST for one of them is refused, naming the path.
    const posted = await s.api('POST', '/api/runs', { dataset: 'incoming/notes.txt' });
    expect(posted.status).toBe(400);
    expect(posted.body.error.message).toContain('incoming/notes.txt');
    expectClean(s, posted.text);
  });

  it(
    'starts a new run when a dataset is overwritten, leaving the old run as it was; the new model rolls out on the same line',
    async () => {
      const blobPath = 'incoming/overwritten/train.jsonl';
      const firstEtag = await s.upload(blobPath, dataset(60, 'v1'));
      const firstId = s.runIdOf(blobPath, firstEtag);
      const first = await s.waitForEnd(firstId, RUN_TIMEOUT_MS);
      const secondEtag = await s.upload(blobPath, dataset(64, 'v2'));
      expect(secondEtag).not.toBe(firstEtag);
      const secondId = s.runIdOf(blobPath, secondEtag);
      expect(secondId).not.toBe(firstId);
      const second = await s.waitForEnd(secondId, RUN_TIMEOUT_MS);
      expect(second.status, JSON.stringify(second.error)).toBe('Succeeded');
      expect(second.dataset.etag).toBe(secondEtag);
      expect(step(second, 'validate').detail).toContain('64 of 64 rows valid');

      const firstAfter = await s.api('GET', `/api/runs/${firstId}`);
      expect(firstAfter.body).toEqual(first);
      expect(first.dataset.etag).toBe(firstEtag);
      expect(step(first, 'validate').detail).toContain('60 of 60 rows valid');
      // the same dataset name is the same line: one endpoint, the new model rolled out on it
      expect(second.endpoint).toEqual(first.endpoint);
      expect([first.rollout?.outcome, second.rollout?.outcome]).toEqual(['first', 'rolledOut']);
    },
    2 * RUN_TIMEOUT_MS + 10_000,
  );

  it('logs no key and no stack trace', () => {
    for (const line of s.logs) expectClean(s, line);
  });
});

describe('scenarios on other compute and gate settings', () => {
  let s: ScenarioStack;
  const dataPath = 'incoming/compute/train.jsonl';
  let etag: string;

  beforeAll(async () => {
    s = await startScenarioStack({
      settings: { COMPUTE_CLUSTER: 'failed-cluster', GATE_METRIC: 'eval_loss', GATE_MAX: '0.1' },
      emulatorConfig: {
        computes: [
          ...defaultConfig.computes,
          {
            name: 'gpu-a100',
            vmSize: 'Standard_NC24ads_A100_v4',
            provisioningState: 'Succeeded',
            minNodeCount: 0,
            maxNodeCount: 1,
          },
          {
            name: 'gpu-a100-x4',
            vmSize: 'Standard_NC96ads_A100_v4',
            provisioningState: 'Succeeded',
            minNodeCount: 0,
            maxNodeCount: 1,
          },
        ],
        usages: [
          // A 48-core A100 quota: a 24-vCPU node fits, one Standard_NC96ads_A100_v4 node (96) does not.
          { family: 'standardNCADSA100v4Family', currentValue: 0, limit: 48 },
        ],
      },
    });
    etag = await s.upload(dataPath, dataset(80, 'compute'));
  }, 90_000);

  afterAll(async () => {
    await s?.close();
  });

  async function restartWith(settings: Record<string, string>): Promise<void> {
    await s.stack.killHost();
    await s.stack.startHost(settings);
  }

  async function forcedRun(): Promise<RunView> {
    const answer = await s.api('POST', '/api/runs', { dataset: dataPath, force: true });
    expect(answer.status, answer.text).toBe(202);
    return s.waitForEnd((answer.body as RunView).runId, RUN_TIMEOUT_MS);
  }

  async function expectNoJob(runId: string): Promise<void> {
    expect((await s.emulatorState()).jobs.map((j) => j.name)).not.toContain(runId);
  }

  it(
    'fails at checkCompute with COMPUTE.FAILED on a cluster in provisioning state Failed',
    async () => {
      const runId = s.runIdOf(dataPath, etag);
      const view = await s.waitForEnd(runId, RUN_TIMEOUT_MS);
      expect(view.status).toBe('Failed');
      expect(view.error?.step).toBe('checkCompute');
      expect(view.error?.code).toBe('COMPUTE.FAILED');
      expect(view.error?.message).toContain("'failed-cluster'");
      // Azure ML's own reason, so the user knows what to fix.
      expect(view.error?.message).toContain('exceeding approved standardNCADSA100v4Family Cores quota');
      expect(view.jobName).toBeUndefined();
      await expectNoJob(runId);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it(
    'fails at checkCompute with COMPUTE.NOT_FOUND when COMPUTE_CLUSTER names no cluster',
    async () => {
      await restartWith({ COMPUTE_CLUSTER: 'no-such-cluster' });
      const view = await forcedRun();
      expect(view.status).toBe('Failed');
      expect(view.error?.step).toBe('checkCompute');
      expect(view.error?.code).toBe('COMPUTE.NOT_FOUND');
      expect(view.error?.message).toContain("'no-such-cluster'");
      expect(view.error?.message).toContain('COMPUTE_CLUSTER');
      await expectNoJob(view.runId);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    'fails at checkCompute with COMPUTE.QUOTA_EXCEEDED when the family quota is too small',
    async () => {
      await restartWith({ COMPUTE_CLUSTER: 'gpu-a100-x4' });
      const view = await forcedRun();
      expect(view.status).toBe('Failed');
      expect(view.error?.step).toBe('checkCompute');
      expect(view.error?.code).toBe('COMPUTE.QUOTA_EXCEEDED');
      expect(view.error?.message).toContain('Standard NCADSA100v4 Family Cluster Dedicated vCPUs');
      // the cluster's own row is the one checked (cluster scope first)
      expect(view.error?.details).toMatchObject({
        scope: 'compute',
        coresNeeded: 96,
        coresLeft: 48,
        limit: 48,
      });
      await expectNoJob(view.runId);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    'registers the model but deploys nothing when the quality gate fails (NotDeployed)',
    async () => {
      await restartWith({ COMPUTE_CLUSTER: 'gpu-a100' });
      const view = await forcedRun();
      expect(view.status, JSON.stringify(view.error)).toBe('NotDeployed');
      expect(step(view, 'gate').status).toBe('succeeded');
      expect(step(view, 'gate').detail).toMatch(/^\S*eval_loss = \d+(\.\d+)? is above the maximum 0\.1$/);
      const [gateKey] = /^\S*eval_loss/.exec(step(view, 'gate').detail ?? '') ?? [];
      expect(view.metrics?.[gateKey!]).toBeGreaterThan(0.1);
      expect(step(view, 'deploy')).toMatchObject({ status: 'skipped', detail: 'gate not passed' });
      expect(view.model).toBeDefined();
      expect(view.endpoint).toBeUndefined();
      expect(view.error).toBeUndefined();
      const state = await s.emulatorState();
      expect(state.models).toContainEqual({ name: view.model!.name, version: view.model!.version });
      expect(state.endpoints).toEqual([]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it('logs no key and no stack trace', () => {
    for (const line of s.logs) expectClean(s, line);
  });
});
