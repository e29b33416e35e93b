import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const SETTING_KEYS = [
  'TRAINING_CONTAINER',
  'AZUREML_DATASTORE',
  'COMPUTE_CLUSTER',
  'BASE_MODEL_NAME',
  'BASE_MODEL_REGISTRY',
  'PIPELINE_COMPONENT',
  'BASE_MODEL_FALLBACK_ID',
  'BASE_MODEL_FALLBACK_TAGS',
  'EXPERIMENT_NAME',
  'GATE_METRIC',
  'GATE_MAX',
];
const CONTENT = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n';
const CONTENT_SHA = createHash('sha256').update(CONTENT).digest('hex');
const ETAG = `local-${CONTENT_SHA.slice(0, 16)}`;

interface PlanJson {
  runId: string;
  dataset: unknown;
  model: unknown;
  component: unknown;
  droppedDefaults: unknown;
  compute: unknown;
  parameters: unknown;
  displayName: string;
  job: {
    name: string;
    request: {
      properties: { tags: unknown; jobs: { chat_completion_pipeline: { inputs: Record<string, unknown> } } };
    };
  };
}

let dir: string;
let dataset: string;

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(...args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(['plan', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: new PassThrough(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Run id computed here from the literal canonical JSON, independently of src/domain/runId.ts. */
function expectedRunId(overridesJson: string): string {
  const canonical = `{"container":"training-data","etag":"${ETAG}","overrides":${overridesJson},"path":"incoming/chat.jsonl"}`;
  return `ft-${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-'));
  dataset = file('chat.jsonl', CONTENT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  for (const key of SETTING_KEYS) vi.stubEnv(key, '');
});
afterEach(() => vi.unstubAllEnvs());

describe('autopilot plan', () => {
  it('prints the effective parameters with their sources, the run id and the job body', async () => {
    const { code, stdout, stderr } = await run('--dataset', dataset, '--gpus-per-node', '4');
    const runId = expectedRunId('{}');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`dataset       ${dataset} -> training-data/incoming/chat.jsonl\n`);
    expect(stdout).toContain(`run id        ${runId} (also the job name)\n`);
    expect(stdout).toContain(
      'note: a local file has no ETag, so plan uses local-<first 16 hex of sha256(content)>; the real run id differs because Azure assigns the ETag when the blob is uploaded\n',
    );
    expect(stdout).toContain('model         azureml://registries/azureml/models/Phi-4/versions/latest\n');
    expect(stdout).toContain('model tags    none (BASE_MODEL_FALLBACK_TAGS not set)\n');
    expect(stdout).toContain(
      'model tags    none (BASE_MODEL_FALLBACK_TAGS not set)\n' +
        'component     chat_completion_pipeline 0.0.78 (azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78)\n' +
        'compute       gpu-cluster, 4 GPU(s) per node\n',
    );
    expect(stdout).toContain('display name  Phi-4-ultrachat-bs4-cosine-ds2-lora-save_limit-1-seqlen-1\n');
    expect(stdout).toContain(
      [
        'parameters (value, source):',
        '  apply_deepspeed                  true      default',
        '  apply_lora                       true      default',
        '  deepspeed_stage                  2         default',
        '  learning_rate                    0.000005  default',
        '  lr_scheduler_type                cosine    default',
        '  num_nodes_finetune               1         default',
        '  num_train_epochs                 3         default',
        '  number_of_gpu_to_use_finetuning  4         compute',
        '  per_device_eval_batch_size       1         default',
        '  per_device_train_batch_size      1         default',
        '',
        `PipelineJob request body (PUT .../jobs/${runId}):`,
        '{',
        '  "properties": {',
        '    "jobType": "Pipeline",',
      ].join('\n'),
    );
    expect(stdout).toContain(`"uri": "azureml://datastores/trainingdata/paths/runs/${runId}/train.jsonl"`);
  });

  it('says the GPU count is assumed when --gpus-per-node is not given', async () => {
    const { code, stdout } = await run('--dataset', dataset);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'compute       gpu-cluster, 1 GPU(s) per node (assumed; pass --gpus-per-node)\n',
    );
  });

  it('layers model tags and overrides, and prints one JSON object with --json', async () => {
    vi.stubEnv(
      'BASE_MODEL_FALLBACK_TAGS',
      JSON.stringify({
        model_specific_defaults: "{'apply_deepspeed': 'true', 'precision': '16', 'learning_rate': 2e-05}",
        finetune_compute_allow_list: "['Standard_NC24rs_v3']",
      }),
    );
    vi.stubEnv('BASE_MODEL_FALLBACK_ID', 'azureml://registries/azureml/models/Phi-4/versions/8');
    vi.stubEnv('COMPUTE_CLUSTER', 'big-cluster');
    const overrides = file('ov.json', '{"num_train_epochs": 1, "learning_rate": 0.0001}');
    const { code, stdout, stderr } = await run(
      '--dataset',
      dataset,
      '--overrides',
      overrides,
      '--gpus-per-node',
      '2',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const runId = expectedRunId('{"learning_rate":0.0001,"num_train_epochs":1}');
    const result = JSON.parse(stdout) as PlanJson;
    expect(result.runId).toBe(runId);
    expect(result.dataset).toEqual({ container: 'training-data', path: 'incoming/chat.jsonl', etag: ETAG });
    expect(result.model).toEqual({
      id: 'azureml://registries/azureml/models/Phi-4/versions/8',
      tags: 'BASE_MODEL_FALLBACK_TAGS',
      finetuneComputeAllowList: ['Standard_NC24rs_v3'],
      warnings: [],
    });
    expect(result.compute).toEqual({
      name: 'big-cluster',
      gpusPerNode: 2,
      gpusPerNodeSource: '--gpus-per-node',
    });
    expect(result.parameters).toEqual({
      apply_deepspeed: { value: 'true', source: 'model' },
      apply_lora: { value: 'true', source: 'default' },
      deepspeed_stage: { value: '2', source: 'default' },
      learning_rate: { value: '0.0001', source: 'override' },
      lr_scheduler_type: { value: 'cosine', source: 'default' },
      num_nodes_finetune: { value: '1', source: 'default' },
      num_train_epochs: { value: '1', source: 'override' },
      number_of_gpu_to_use_finetuning: { value: '2', source: 'compute' },
      per_device_eval_batch_size: { value: '1', source: 'default' },
      per_device_train_batch_size: { value: '1', source: 'default' },
      precision: { value: '16', source: 'model' },
    });
    expect(result.component).toEqual({
      id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
      name: 'chat_completion_pipeline',
      version: '0.0.78',
      checked: true,
    });
    expect(result.droppedDefaults).toEqual([]);
    expect(result.displayName).toBe('Phi-4-ultrachat-bs2-cosine-ds2-lora-save_limit-1-seqlen-1');
    expect(result.job.name).toBe(runId);
    const node = result.job.request.properties.jobs.chat_completion_pipeline;
    expect(node.inputs.mlflow_model_path).toEqual({
      job_input_type: 'mlflow_model',
      uri: 'azureml://registries/azureml/models/Phi-4/versions/8',
    });
    expect(node.inputs.compute_finetune).toEqual({ job_input_type: 'literal', value: 'big-cluster' });
    expect(node.inputs.learning_rate).toEqual({ job_input_type: 'literal', value: '0.0001' });
    expect(result.job.request.properties.tags).toEqual({
      'autopilot-run-id': runId,
      'autopilot-owner': 'finetune-autopilot',
    });
  });

  it('drops and lists model defaults the pinned component does not declare', async () => {
    // Phi-3-mini-4k-instruct 15's model_specific_defaults carry learning_rate_min/max
    // (dev/emulator/facts/registry-models.json); chat_completion_pipeline 0.0.78 declares neither.
    vi.stubEnv(
      'BASE_MODEL_FALLBACK_TAGS',
      JSON.stringify({
        model_specific_defaults:
          "{'learning_rate': '5e-6', 'learning_rate_min': '5e-7', 'learning_rate_max': '5e-5'}",
      }),
    );
    const { code, stdout, stderr } = await run('--dataset', dataset, '--gpus-per-node', '4');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(
      'component     chat_completion_pipeline 0.0.78 (azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78)\n' +
        '              dropped: learning_rate_max=5e-5 (model default; not an input of chat_completion_pipeline 0.0.78)\n' +
        '              dropped: learning_rate_min=5e-7 (model default; not an input of chat_completion_pipeline 0.0.78)\n' +
        'compute       gpu-cluster, 4 GPU(s) per node\n',
    );
    expect(stdout).toContain('  learning_rate                    0.000005  model\n');
    expect(stdout).not.toContain('"learning_rate_min"');
    expect(stdout).not.toContain('"learning_rate_max"');
  });

  it('lists the dropped defaults in --json and leaves them out of the job body', async () => {
    vi.stubEnv(
      'BASE_MODEL_FALLBACK_TAGS',
      JSON.stringify({ model_specific_defaults: "{'learning_rate_min': '5e-7'}" }),
    );
    const { code, stdout } = await run('--dataset', dataset, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as PlanJson;
    expect(result.droppedDefaults).toEqual([{ input: 'learning_rate_min', value: '5e-7', source: 'model' }]);
    expect(Object.keys(result.job.request.properties.jobs.chat_completion_pipeline.inputs)).not.toContain(
      'learning_rate_min',
    );
  });

  it('says the inputs are not checked when PIPELINE_COMPONENT pins a version it has no declaration for', async () => {
    vi.stubEnv(
      'PIPELINE_COMPONENT',
      'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.77',
    );
    const { code, stdout } = await run('--dataset', dataset, '--gpus-per-node', '4');
    expect(code).toBe(0);
    expect(stdout).toContain(
      'component     azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.77 (inputs not checked: no recorded declaration for azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.77; the run checks it against the registry)\n',
    );
  });

  it('exits 1 listing every problem in the overrides', async () => {
    const overrides = file('bad.json', '{"learning_rat": 0.1, "deepspeed_stage": 1}');
    const { code, stdout, stderr } = await run('--dataset', dataset, '--overrides', overrides);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      [
        'autopilot plan: FINETUNE.INVALID_OVERRIDES: the overrides have problems:',
        "  - learning_rat: not a fine-tune parameter; did you mean 'learning_rate'?",
        '  - deepspeed_stage: expected one of 2, 3, got 1',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 with the error as JSON on stdout with --json', async () => {
    const overrides = file('bad2.json', '{"apply_lora": "yes"}');
    const { code, stdout } = await run('--dataset', dataset, '--overrides', overrides, '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'FINETUNE.INVALID_OVERRIDES',
        message: "fine-tune overrides have 1 problem: apply_lora: expected true or false, got 'yes'",
        details: [
          {
            parameter: 'apply_lora',
            code: 'FINETUNE.BAD_TYPE',
            message: "apply_lora: expected true or false, got 'yes'",
          },
        ],
      },
    });
  });

  it('exits 1 when the overrides file is not JSON', async () => {
    const overrides = file('broken.json', '{learning_rate: 1}');
    const { code, stderr } = await run('--dataset', dataset, '--overrides', overrides);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^autopilot plan: FINETUNE\.OVERRIDES_NOT_JSON: .*broken\.json: not valid JSON \(.+\)\n$/,
    );
  });

  it('exits 1 for a file that cannot be a dataset', async () => {
    const notes = file('notes.txt', 'x');
    const { code, stderr } = await run('--dataset', notes);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `autopilot plan: DATASET.BAD_PATH: ${notes}: a dataset file must end in .jsonl or .parquet (it would be uploaded as incoming/notes.txt)\n`,
    );
  });

  it('prints its usage with --help', async () => {
    expect(await run('--help')).toEqual({
      code: 0,
      stdout:
        'usage: autopilot plan --dataset <file> [--overrides <json file>] [--gpus-per-node N] [--json]\n',
      stderr: '',
    });
  });

  it('exits 2 for usage errors, missing files and bad settings', async () => {
    expect(await run()).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('autopilot plan: --dataset is required'),
    });
    expect(await run('--dataset', join(dir, 'absent.jsonl'))).toEqual({
      code: 2,
      stdout: '',
      stderr: `autopilot plan: ${join(dir, 'absent.jsonl')}: no such file\n`,
    });
    expect(await run('--dataset', dataset, '--gpus-per-node', '0')).toMatchObject({
      code: 2,
      stderr: "autopilot plan: --gpus-per-node must be a whole number from 1 to 64, got '0'\n",
    });
    vi.stubEnv('TRAINING_CONTAINER', 'Bad_Name');
    expect(await run('--dataset', dataset)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('TRAINING_CONTAINER must be a valid blob container name') as string,
    });
  });
});
