// Shared set-up for the emulator's integration tests: a running emulator in a temp dir, the real SDK
// clients trusting its CA through the pipeline's tlsOptions, plain HTTPS for scoring and the admin API,
// and a tiny webhook server that records Event Grid deliveries.
import { AzureMachineLearningWorkspaces, type JobBase } from '@azure/arm-machinelearning';
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../dev/emulator/index.js';

export const staticCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'local-test-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

export interface Harness {
  emulator: RunningEmulator;
  ml: AzureMachineLearningWorkspaces;
  monitor: MonitorClient;
  rg: string;
  ws: string;
  dir: string;
  close(): Promise<void>;
}

/** Client options that trust the emulator's CA and do not retry (tests assert each answer). */
export function clientOptions(emulator: RunningEmulator, maxRetries = 0) {
  return { endpoint: emulator.baseUrl, tlsOptions: { ca: emulator.caCert }, retryOptions: { maxRetries } };
}

export async function startHarness(
  options: EmulatorOptions = {},
  dir = mkdtempSync(join(tmpdir(), 'aml-emulator-')),
): Promise<Harness> {
  const emulator = await startEmulator({
    stateDir: dir,
    config: {
      clock: { jobSeconds: 1, lroSeconds: 0.2 },
      delivery: { retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 5 },
    },
    ...options,
  });
  const ml = new AzureMachineLearningWorkspaces(
    staticCredential,
    emulator.subscriptionId,
    clientOptions(emulator),
  );
  const monitor = new MonitorClient(staticCredential, emulator.subscriptionId, clientOptions(emulator));
  return {
    emulator,
    ml,
    monitor,
    rg: emulator.resourceGroup,
    ws: emulator.workspace,
    dir,
    async close() {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpsReply<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** Plain HTTPS (node:https with the emulator CA): for scoring, the admin API and raw ARM requests. */
export function https<T = Record<string, unknown>>(
  emulator: RunningEmulator,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpsReply<T>> {
  const target = new URL(url, emulator.baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        ca: emulator.caCert,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: (text === '' ? undefined : JSON.parse(text)) as T,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export const admin = <T = Record<string, unknown>>(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
) => https<T>(emulator, method, `${emulator.adminUrl}${path}`, body);

export interface RunEventData {
  experimentId: string;
  experimentName: string;
  runId: string;
  runType: string;
  runTags: Record<string, string>;
  runProperties: Record<string, string>;
  runStatus: string;
}

export interface MlflowRun {
  info: { run_id: string; run_name: string; status: string };
  data: {
    metrics: { key: string; value: number; step: number; timestamp: number }[];
    tags: { key: string; value: string }[];
  };
}

export interface ReceivedEvent {
  id: string;
  eventType: string;
  subject: string;
  topic: string;
  data: RunEventData;
  headers: IncomingMessage['headers'];
}

export interface Webhook {
  url: string;
  events: ReceivedEvent[];
  handshakes: number;
  /** Status to answer notifications with (e.g. 500 to force retries); 200 by default. */
  answer: number;
  waitFor(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An Event Grid webhook: answers the validation handshake and records notifications. */
export async function startWebhook(): Promise<Webhook> {
  const hook: Webhook = {
    url: '',
    events: [],
    handshakes: 0,
    answer: 200,
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          if (predicate(hook.events)) resolve();
          else if (Date.now() - started > timeoutMs)
            reject(
              new Error(`webhook: condition not met in ${timeoutMs} ms; got ${hook.events.length} events`),
            );
          else setTimeout(check, 20);
        };
        check();
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as (ReceivedEvent & {
        data: { validationCode: string };
      })[];
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
        hook.handshakes += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ validationResponse: events[0]!.data.validationCode }));
        return;
      }
      if (hook.answer === 200) for (const e of events) hook.events.push({ ...e, headers: req.headers });
      res.writeHead(hook.answer);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
  return hook;
}

/** The live default: Phi-4 version 8 (Azure/azureml-assets assets/models/system/Phi-4/spec.yaml, no retirement). */
export const REGISTRY_MODEL = 'azureml://registries/azureml/models/Phi-4/versions/8';
/** The notebook's model: retired for fine-tuning on 2025-08-30 and archived. */
export const RETIRED_MODEL = 'azureml://registries/azureml/models/Phi-3-mini-4k-instruct/versions/15';
/** The pinned component version (dev/emulator/facts/chat_completion_pipeline.json). */
export const COMPONENT = 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78';

/** A chat_completion_pipeline job as the app is meant to send it: asset inputs inside the node. */
export function pipelineJob(runId: string, overrides: Record<string, unknown> = {}): JobBase {
  const data = (file: string) => ({
    job_input_type: 'uri_file',
    uri: `azureml://datastores/trainingdata/paths/runs/${runId}/${file}`,
  });
  const literal = (value: string) => ({ job_input_type: 'literal', value });
  return {
    properties: {
      jobType: 'Pipeline',
      displayName: 'Phi-4-ultrachat-bs1-cosine-ds3-lora-save_limit1-seqlen-1',
      experimentName: 'chat_completion_Phi-4',
      tags: { 'autopilot-run-id': runId, 'autopilot-owner': 'finetune-autopilot' },
      settings: { force_rerun: true, continue_on_step_failure: false },
      outputs: { trained_model: { jobOutputType: 'mlflow_model' } },
      jobs: {
        chat_completion_pipeline: {
          type: 'pipeline',
          componentId: COMPONENT,
          inputs: {
            mlflow_model_path: { job_input_type: 'mlflow_model', uri: REGISTRY_MODEL },
            train_file_path: data('train.jsonl'),
            validation_file_path: data('test.jsonl'),
            test_file_path: data('test.jsonl'),
            compute_model_import: literal('gpu-cluster'),
            compute_preprocess: literal('gpu-cluster'),
            compute_finetune: literal('gpu-cluster'),
            compute_model_evaluation: literal('gpu-cluster'),
            number_of_gpu_to_use_finetuning: literal('1'),
            num_train_epochs: literal('3'),
            learning_rate: literal('5e-6'),
            lr_scheduler_type: literal('cosine'),
            apply_lora: literal('true'),
            apply_deepspeed: literal('true'),
            deepspeed_stage: literal('3'),
            ...overrides,
          },
          outputs: { mlflow_model_folder: { value: '${{parent.outputs.trained_model}}' } },
        },
      },
    },
  };
}

export async function waitUntil<T>(
  fn: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 8000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
