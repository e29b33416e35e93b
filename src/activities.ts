// The activity functions of the fine-tune run: each one step's I/O, over the ports. Built by a
// factory so the functions/ wrappers pass the real adapters and tests pass their own.
//
// Failure policy: callActivityWithRetry retries EVERY thrown error, so an activity throws only
// for transient faults (5xx, 429, resets, timeouts: worth the retries). Expected failures (a bad
// dataset, a compute rule, a 4xx the adapters turn into DomainError) come back as Result values
// that the orchestrator records on the run view without spending retries.
//
// Idempotent: an activity may run again (retry after a crash, replay); submit, register and the
// deploy steps look before they create, cleanup and cancel treat "already gone" as done.
import type { AppConfig } from './config.js';
import { checkCompute as checkComputeRules } from './domain/compute.js';
import {
  DEPLOYMENT_NAME,
  FULL_TRAFFIC,
  checkInferenceInstance,
  deploymentSpec,
  endpointSpec,
  modelVersionSpec,
} from './domain/deployment.js';
import { displayName } from './domain/displayName.js';
import { DomainError, fail, ok } from './domain/errors.js';
import { fineTuneNodes, resolveFineTuneParameters } from './domain/finetune.js';
import { readModelTags } from './domain/modelTags.js';
import { buildPipelineJob, datastoreUri, ownershipTags } from './domain/pipelineJob.js';
import type { ChatMessage, JobStatus } from './domain/ports.js';
import { unquoteEtag } from './domain/runId.js';
import { prepareDataset, validateDataset } from './adapters/dataset.js';
import type { Ports } from './adapters/index.js';
import { Tag } from './names.js';
import type {
  ActivityResult,
  CheckComputeInput,
  CheckComputeOutput,
  CleanupInput,
  CleanupOutput,
  DeployOutput,
  DeploymentStateInput,
  DeploymentStateOutput,
  GetJobOutput,
  JobInput,
  PrepareInput,
  PrepareOutput,
  RegisterInput,
  RegisterOutput,
  ResolveModelOutput,
  SetTrafficInput,
  SmokeTestInput,
  SmokeTestOutput,
  StartDeploymentInput,
  StartDeploymentOutput,
  StartEndpointInput,
  StartEndpointOutput,
  SubmitInput,
  SubmitOutput,
  ValidateInput,
  ValidateOutput,
  WriteSummaryInput,
} from './orchestration/types.js';
import { ActivityCode } from './orchestration/types.js';

/** What the activities need from the outside world (a subset of the adapters' ports). */
export type ActivityPorts = Pick<Ports, 'gateway' | 'catalog' | 'runMetrics' | 'scoring' | 'blobs'>;

/** Findings copied into the run view's error details (the full list is in report.json). */
const MAX_ERRORS_IN_VIEW = 10;
/** The app trains on every valid row; 5% held out unless a test file came with the dataset. */
const PREPARE = { samplePercent: 100, testPercent: 5, seed: 42 } as const;
const FINISHED: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];
const DEPLOYMENT_LOG_LINES = 50;
/** ARM provisioning states: done, and ended without being done (Deleting: someone removes it). */
const PROVISIONED = 'Succeeded';
const NOT_PROVISIONING: readonly string[] = ['Failed', 'Canceled', 'Deleting'];

function notOwned(endpointName: string, runId: string): ActivityResult<never> {
  return fail({
    code: ActivityCode.endpointNotOwned,
    message: `endpoint ${endpointName} exists but was not created by run ${runId}; it is left untouched`,
  });
}

function endpointGone(endpointName: string): ActivityResult<never> {
  return fail({
    code: ActivityCode.deployFailed,
    message: `endpoint ${endpointName} no longer exists (deleted while the run was deploying)`,
  });
}

export const runBlobPath = (runId: string, file: string): string => `runs/${runId}/${file}`;

/** Turns a DomainError thrown by an adapter into a Result; anything else is transient and rethrown. */
async function expected<T>(work: () => Promise<ActivityResult<NoInfer<T>>>): Promise<ActivityResult<T>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) {
      return fail({
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
    throw error;
  }
}

/** The first held-out conversation, without its final assistant answer(s): what the model must answer. */
export function smokeTestMessages(testJsonl: string): ChatMessage[] | undefined {
  for (const line of testJsonl.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { messages?: ChatMessage[] };
    const messages = [...(row.messages ?? [])];
    while (messages.at(-1)?.role === 'assistant') messages.pop();
    if (messages.length > 0) return messages.map(({ role, content }) => ({ role, content }));
  }
  return undefined;
}

export function createActivities(ports: ActivityPorts, config: AppConfig) {
  const { gateway: azureMl, blobs } = ports;
  const { fineTune, azureMl: workspace } = config;

  async function openPinned(path: string, etag: string) {
    const input = await blobs.openDataset(path);
    if (input.info.etag !== unquoteEtag(etag)) {
      throw new DomainError(
        ActivityCode.datasetChanged,
        `dataset ${path} changed since the run started (etag ${unquoteEtag(etag)}, now ${input.info.etag}); the new version starts its own run`,
        { path },
      );
    }
    return input;
  }

  return {
    /** Streams the dataset once, writes runs/<id>/report.json; a rejected dataset is DATASET.INVALID. */
    validate: ({ runId, dataset }: ValidateInput): Promise<ActivityResult<ValidateOutput>> =>
      expected(async () => {
        const input = await openPinned(dataset.path, dataset.etag);
        const report = await validateDataset(input);
        const reportPath = runBlobPath(runId, 'report.json');
        await blobs.writeText(reportPath, JSON.stringify(report, null, 2), 'application/json');
        if (!report.valid) {
          return fail({
            code: ActivityCode.datasetInvalid,
            message: `dataset ${dataset.path} was rejected: ${report.rows - report.validRows} of ${report.rows} rows invalid (full report: ${reportPath})`,
            details: report.errors.slice(0, MAX_ERRORS_IN_VIEW),
          });
        }
        return ok({
          format: report.format,
          rows: report.rows,
          validRows: report.validRows,
          warnings: report.warnings.length,
          reportPath,
        });
      }),

    /** Normalizes and splits into runs/<id>/train.jsonl and test.jsonl (nothing visible unless valid). */
    prepare: ({ runId, dataset, testPath }: PrepareInput): Promise<ActivityResult<PrepareOutput>> =>
      expected(async () => {
        const train = await openPinned(dataset.path, dataset.etag);
        const test = testPath === undefined ? undefined : await blobs.openDataset(testPath);
        const trainPath = runBlobPath(runId, 'train.jsonl');
        const heldOutPath = runBlobPath(runId, 'test.jsonl');
        const result = await prepareDataset({ train, ...(test === undefined ? {} : { test }) }, PREPARE, {
          train: blobs.openWriter(trainPath, 'application/jsonl'),
          test: blobs.openWriter(heldOutPath, 'application/jsonl'),
        });
        const rejected = [result.report, result.testReport].find((r) => r !== undefined && !r.valid);
        if (rejected !== undefined) {
          return fail({
            code: ActivityCode.datasetInvalid,
            message: `${rejected === result.report ? dataset.path : testPath} was rejected while preparing`,
            details: rejected.errors.slice(0, MAX_ERRORS_IN_VIEW),
          });
        }
        if (result.testRows === 0) {
          return fail({
            code: ActivityCode.testSetEmpty,
            message: `no held-out conversation: ${dataset.path} has too few rows for a ${PREPARE.testPercent}% test split; add a test.jsonl beside it`,
          });
        }
        return ok({
          trainPath,
          testPath: heldOutPath,
          trainRows: result.trainRows,
          testRows: result.testRows,
        });
      }),

    /** The base model (registry, or the configured fallback) and what its tags allow. */
    resolveModel: (): Promise<ActivityResult<ResolveModelOutput>> =>
      expected(async () => {
        const model = await ports.catalog.getLatest(fineTune.baseModelName);
        const tags = readModelTags(model.tags);
        return ok({
          model: { name: model.name, version: model.version, id: model.id, source: model.source },
          ...(tags.finetuneComputeAllowList === undefined
            ? {}
            : { finetuneAllowList: tags.finetuneComputeAllowList }),
          ...(tags.inferenceComputeAllowList === undefined
            ? {}
            : { inferenceAllowList: tags.inferenceComputeAllowList }),
          modelSpecificDefaults: tags.modelSpecificDefaults,
        });
      }),

    checkCompute: ({
      finetuneAllowList,
      modelSpecificDefaults,
      overrides,
    }: CheckComputeInput): Promise<ActivityResult<CheckComputeOutput>> =>
      expected(async () => {
        const computeName = fineTune.computeCluster;
        const nodes = fineTuneNodes({ modelSpecificDefaults, overrides });
        const [compute, vmSizes, usages] = await Promise.all([
          azureMl.getCompute(computeName),
          azureMl.listVmSizes(),
          azureMl.listUsages(),
        ]);
        const checked = checkComputeRules({
          compute,
          computeName,
          vmSizes,
          usages,
          finetuneAllowList,
          nodes,
        });
        if (!checked.ok) return checked;
        return ok({
          computeName,
          vmSize: checked.value.vmSize,
          gpusPerNode: checked.value.gpusPerNode,
          nodes,
        });
      }),

    /** Creates the pipeline job named after the run, unless it already exists. */
    submit: (input: SubmitInput): Promise<ActivityResult<SubmitOutput>> =>
      expected(async () => {
        const { runId, model, compute } = input;
        const resolved = resolveFineTuneParameters({
          modelSpecificDefaults: model.modelSpecificDefaults,
          overrides: input.overrides,
          gpusPerNode: compute.gpusPerNode,
        });
        if (!resolved.ok) return resolved;
        const { parameters } = resolved.value;
        const name = displayName({
          model: model.model.name,
          parameters,
          gpusPerNode: compute.gpusPerNode,
          nodes: compute.nodes,
        });
        const existing = await azureMl.getJob(runId);
        if (existing !== undefined) {
          return ok({
            jobName: existing.name,
            displayName: existing.displayName ?? name,
            created: false,
            ...(existing.studioUrl === undefined ? {} : { studioUrl: existing.studioUrl }),
          });
        }
        const request = buildPipelineJob({
          runId,
          experimentName: fineTune.experimentName,
          displayName: name,
          componentId: fineTune.pipelineComponent,
          modelId: model.model.id,
          trainDataUri: datastoreUri(workspace.datastore, input.trainPath),
          testDataUri: datastoreUri(workspace.datastore, input.testPath),
          computeName: compute.computeName,
          parameters,
        });
        const job = await azureMl.createJob(runId, request);
        return ok({
          jobName: job.name,
          displayName: name,
          created: true,
          ...(job.studioUrl === undefined ? {} : { studioUrl: job.studioUrl }),
        });
      }),

    getJob: ({ jobName }: JobInput): Promise<ActivityResult<GetJobOutput>> =>
      expected(async () => {
        const job = await azureMl.getJob(jobName);
        if (job === undefined) {
          return fail({
            code: ActivityCode.jobNotFound,
            message: `job ${jobName} does not exist in the workspace`,
          });
        }
        return ok({ status: job.status });
      }),

    /** Cancels the job unless it is absent or already finished. */
    cancelJob: ({ jobName }: JobInput): Promise<ActivityResult<{ canceled: boolean }>> =>
      expected(async () => {
        const job = await azureMl.getJob(jobName);
        if (job === undefined || FINISHED.includes(job.status)) return ok({ canceled: false });
        await azureMl.cancelJob(jobName);
        return ok({ canceled: true });
      }),

    metrics: ({ jobName }: JobInput): Promise<ActivityResult<Record<string, number>>> =>
      expected(async () => ok(await ports.runMetrics.getJobMetrics(jobName))),

    /** Registers the job's trained_model output; the version is derived from the run, so look first. */
    register: ({ runId, jobName }: RegisterInput): Promise<ActivityResult<RegisterOutput>> =>
      expected(async () => {
        const spec = modelVersionSpec({
          runId,
          modelName: fineTune.baseModelName,
          jobName,
          tags: ownershipTags(runId),
        });
        const model =
          (await azureMl.getModelVersion(spec.name, spec.version)) ??
          (await azureMl.createModelVersion(spec));
        return ok({ name: model.name, version: model.version, id: model.id });
      }),

    /*
     * deploy, in steps that each return in seconds: a managed deployment provisions for 10-20
     * minutes, and the orchestrator waits for it on durable timers (polling getDeploymentState)
     * rather than holding a worker. Each step looks before it creates, so a retry or replay is safe.
     */

    /** Creates the run's endpoint unless it exists; answers its provisioning state. */
    startEndpoint: ({
      runId,
      endpointName,
      inferenceAllowList,
    }: StartEndpointInput): Promise<ActivityResult<StartEndpointOutput>> =>
      expected(async () => {
        const instance = checkInferenceInstance(fineTune.inferenceInstanceType, inferenceAllowList);
        if (!instance.ok) return instance;
        const existing = await azureMl.getEndpoint(endpointName);
        if (existing !== undefined) {
          if (existing.tags[Tag.runId] !== runId) return notOwned(endpointName, runId);
          return ok({ provisioningState: existing.provisioningState, created: false });
        }
        const accepted = await azureMl.beginCreateEndpoint(
          endpointSpec({ name: endpointName, location: workspace.location, runId }),
        );
        return ok({ provisioningState: accepted.provisioningState, created: true });
      }),

    /** Creates the deployment unless it exists, once the endpoint Succeeded; answers its state. */
    startDeployment: ({
      runId,
      endpointName,
      modelId,
    }: StartDeploymentInput): Promise<ActivityResult<StartDeploymentOutput>> =>
      expected(async () => {
        const endpoint = await azureMl.getEndpoint(endpointName);
        if (endpoint === undefined) return endpointGone(endpointName);
        if (endpoint.tags[Tag.runId] !== runId) return notOwned(endpointName, runId);
        if (endpoint.provisioningState !== PROVISIONED) {
          return fail({
            code: ActivityCode.endpointNotReady,
            message: `endpoint ${endpointName} is ${endpoint.provisioningState}, not ${PROVISIONED}: the deployment waits for it`,
          });
        }
        const spec = deploymentSpec({
          endpointName,
          modelId,
          instanceType: fineTune.inferenceInstanceType,
          instanceCount: fineTune.inferenceInstanceCount,
          location: workspace.location,
        });
        const existing = await azureMl.getDeployment(endpointName, spec.name);
        if (existing !== undefined) {
          return ok({
            deploymentName: spec.name,
            provisioningState: existing.provisioningState,
            created: false,
          });
        }
        try {
          const accepted = await azureMl.beginCreateDeployment(spec);
          return ok({
            deploymentName: spec.name,
            provisioningState: accepted.provisioningState,
            created: true,
          });
        } catch (error) {
          // ARM refused the deployment (a 4xx): nothing was created, so there are no logs to read
          if (!(error instanceof DomainError)) throw error;
          return fail({
            code: ActivityCode.deployFailed,
            message: `deployment ${endpointName}/${spec.name} was refused: ${error.message}`,
            ...(error.details === undefined ? {} : { details: error.details }),
          });
        }
      }),

    /** Provisioning states of the endpoint and its deployment; a failed one is DEPLOY.FAILED (with the container logs). */
    getDeploymentState: ({
      runId,
      endpointName,
    }: DeploymentStateInput): Promise<ActivityResult<DeploymentStateOutput>> =>
      expected(async () => {
        const endpoint = await azureMl.getEndpoint(endpointName);
        if (endpoint === undefined) return endpointGone(endpointName);
        if (endpoint.tags[Tag.runId] !== runId) return notOwned(endpointName, runId);
        if (NOT_PROVISIONING.includes(endpoint.provisioningState)) {
          return fail({
            code: ActivityCode.deployFailed,
            message: `endpoint ${endpointName} ended ${endpoint.provisioningState}`,
            details: { provisioningState: endpoint.provisioningState },
          });
        }
        const deployment = await azureMl.getDeployment(endpointName, DEPLOYMENT_NAME);
        if (deployment !== undefined && NOT_PROVISIONING.includes(deployment.provisioningState)) {
          const logs = await azureMl
            .getDeploymentLogs(endpointName, DEPLOYMENT_NAME, DEPLOYMENT_LOG_LINES)
            .catch(() => 'logs unavailable');
          return fail({
            code: ActivityCode.deployFailed,
            message: `deployment ${endpointName}/${DEPLOYMENT_NAME} ended ${deployment.provisioningState}: see the container logs in details`,
            details: { provisioningState: deployment.provisioningState, logs },
          });
        }
        return ok({
          endpoint: endpoint.provisioningState,
          ...(deployment === undefined ? {} : { deployment: deployment.provisioningState }),
        });
      }),

    /** Sends all traffic to the deployment (a short endpoint update) and answers the scoring URI. */
    setTraffic: ({ runId, endpointName }: SetTrafficInput): Promise<ActivityResult<DeployOutput>> =>
      expected(async () => {
        const existing = await azureMl.getEndpoint(endpointName);
        if (existing === undefined) return endpointGone(endpointName);
        if (existing.tags[Tag.runId] !== runId) return notOwned(endpointName, runId);
        const endpoint =
          existing.traffic[DEPLOYMENT_NAME] === 100 && existing.provisioningState === PROVISIONED
            ? existing
            : await azureMl.setTraffic(endpointName, FULL_TRAFFIC);
        if (endpoint.scoringUri === undefined) {
          return fail({
            code: ActivityCode.noScoringUri,
            message: `endpoint ${endpointName} reports no scoring URI`,
          });
        }
        return ok({ name: endpointName, scoringUri: endpoint.scoringUri });
      }),

    /** Scores the first held-out conversation and keeps the answer. */
    smokeTest: ({
      endpointName,
      scoringUri,
      testPath,
    }: SmokeTestInput): Promise<ActivityResult<SmokeTestOutput>> =>
      expected(async () => {
        const messages = smokeTestMessages((await blobs.readText(testPath)) ?? '');
        if (messages === undefined) {
          return fail({
            code: ActivityCode.testSetEmpty,
            message: `${testPath} holds no conversation to score`,
          });
        }
        const key = await azureMl.getEndpointKey(endpointName);
        const answer = await ports.scoring.score(scoringUri, key, messages);
        return ok({ input: messages, answer });
      }),

    /** Deletes the run's endpoint; absent is done, someone else's is left alone. */
    cleanup: ({ runId, endpointName }: CleanupInput): Promise<ActivityResult<CleanupOutput>> =>
      expected(async () => {
        const endpoint = await azureMl.getEndpoint(endpointName);
        if (endpoint === undefined) return ok({ deleted: false });
        if (endpoint.tags[Tag.runId] !== runId) {
          return fail({
            code: ActivityCode.endpointNotOwned,
            message: `endpoint ${endpointName} was not created by run ${runId}; not deleted`,
          });
        }
        await azureMl.deleteEndpoint(endpointName);
        return ok({ deleted: true });
      }),

    writeSummary: ({ view }: WriteSummaryInput): Promise<ActivityResult<{ path: string }>> =>
      expected(async () => {
        const path = runBlobPath(view.runId, 'summary.json');
        await blobs.writeText(path, JSON.stringify(view, null, 2), 'application/json');
        return ok({ path });
      }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
