// checkCompute, submit and the job's own activities (get, cancel, metrics): everything between a
// prepared dataset and a finished Azure ML job.
import { checkJobInputs } from '../domain/componentSpec.js';
import { checkCompute as checkComputeRules } from '../domain/compute.js';
import { retiredVmSizeMessage, vmSizeRetirement } from '../domain/retiredVmSizes.js';
import { displayName } from '../domain/displayName.js';
import { fail, ok } from '../domain/errors.js';
import { fineTuneNodes, resolveFineTuneParameters } from '../domain/fineTuneParameters.js';
import { isTerminalJobStatus } from '../domain/jobStatus.js';
import { buildPipelineJob, datastoreUri } from '../domain/pipelineJob.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, today, type ActivityDeps } from './shared.js';

export function createTrainingActivities(
  deps: ActivityDeps,
): Pick<ActivityImplementations, 'checkCompute' | 'submit' | 'getJob' | 'cancelJob' | 'metrics'> {
  const { ports, config } = deps;
  const { gateway: azureMl } = ports;
  const { fineTune, azureMl: workspace } = config;
  return {
    /** The cluster exists, is not Failed, has an allowed GPU VM size, and the quota has room. */
    checkCompute: ({ finetuneAllowList, modelSpecificDefaults, overrides }) =>
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
        const retired = vmSizeRetirement(checked.value.vmSize, today(deps));
        if (retired !== undefined) {
          return fail({
            code: 'COMPUTE.VM_SIZE_RETIRED',
            message: retiredVmSizeMessage(
              checked.value.vmSize,
              `cluster ${computeName} (COMPUTE_CLUSTER)`,
              retired,
            ),
          });
        }
        return ok({
          computeName,
          vmSize: checked.value.vmSize,
          gpusPerNode: checked.value.gpusPerNode,
          nodes,
        });
      }),

    /** Creates the pipeline job named after the run, unless it already exists. */
    submit: (input) =>
      expected(async () => {
        const { runId, model, compute } = input;
        const resolved = resolveFineTuneParameters({
          modelSpecificDefaults: model.modelSpecificDefaults,
          overrides: input.overrides,
          gpusPerNode: compute.gpusPerNode,
        });
        if (!resolved.ok) return resolved;
        // The pinned component's declaration has the last word: undeclared defaults stay out of
        // the job (resolveModel listed them), every value sent is one it accepts.
        const declared = checkJobInputs(model.component, { lenient: resolved.value.parameters, strict: {} });
        if (!declared.ok) return declared;
        const parameters = declared.value.values;
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

    getJob: ({ jobName }) =>
      expected(async () => {
        const job = await azureMl.getJob(jobName);
        if (job === undefined) {
          return fail({ code: 'JOB.NOT_FOUND', message: `job ${jobName} does not exist in the workspace` });
        }
        return ok({ status: job.status });
      }),

    /** Cancels the job unless it is absent or already finished. */
    cancelJob: ({ jobName }) =>
      expected(async () => {
        const job = await azureMl.getJob(jobName);
        if (job === undefined || isTerminalJobStatus(job.status)) return ok({ canceled: false });
        await azureMl.cancelJob(jobName);
        return ok({ canceled: true });
      }),

    metrics: ({ jobName }) => expected(async () => ok(await ports.runMetrics.getJobMetrics(jobName))),
  };
}
