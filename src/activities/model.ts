// resolveModel and register: the base model the run fine-tunes (from the registry, or the
// configured fallback) and the fine-tuned model the job produced.
import { ok } from '../domain/errors.js';
import { modelVersionSpec } from '../domain/deployment.js';
import { readModelTags } from '../domain/modelTags.js';
import { ownershipTags } from '../domain/pipelineJob.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, type ActivityDeps } from './shared.js';

export function createModelActivities({
  ports,
  config,
}: ActivityDeps): Pick<ActivityImplementations, 'resolveModel' | 'register'> {
  const { fineTune } = config;
  return {
    /** The base model and what its tags allow. */
    resolveModel: () =>
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

    /** Registers the job's trained_model output; the version is derived from the run, so look first. */
    register: ({ runId, jobName }) =>
      expected(async () => {
        const spec = modelVersionSpec({
          runId,
          modelName: fineTune.baseModelName,
          jobName,
          tags: ownershipTags(runId),
        });
        const model =
          (await ports.gateway.getModelVersion(spec.name, spec.version)) ??
          (await ports.gateway.createModelVersion(spec));
        return ok({ name: model.name, version: model.version, id: model.id });
      }),
  };
}
