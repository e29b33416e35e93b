// resolveModel and register: the base model the run fine-tunes (from the registry, or the
// configured fallback) checked before any GPU is asked for (lifecycle, allow lists, the pinned
// component's declared inputs), and the fine-tuned model the job produced.
import { checkJobInputs, parseComponentId } from '../domain/componentSpec.js';
import { checkInferenceInstance, modelVersionSpec } from '../domain/deployment.js';
import { fail, ok } from '../domain/errors.js';
import { NOTEBOOK_DEFAULTS } from '../domain/fineTuneParameters.js';
import { checkLifecycle, readLifecycle } from '../domain/modelLifecycle.js';
import { readAllowLists, readModelTags } from '../domain/modelTags.js';
import { ownershipTags } from '../domain/pipelineJob.js';
import { retiredVmSizeMessage, vmSizeRetirement } from '../domain/retiredVmSizes.js';
import type { ActivityImplementations, StepNote } from '../orchestration/contract.js';
import { expected, today, type ActivityDeps } from './shared.js';

export function createModelActivities(
  deps: ActivityDeps,
): Pick<ActivityImplementations, 'resolveModel' | 'register'> {
  const { ports, config } = deps;
  const { fineTune } = config;
  return {
    /**
     * The base model, refused when its fine-tuning is retired; its allow lists wherever the
     * registry keeps them; the pinned component's declaration, against which the model's
     * defaults are filtered (unknown ones dropped, with a note) and the overrides checked.
     */
    resolveModel: ({ overrides }) =>
      expected(async () => {
        const notes: StepNote[] = [];
        const model = await ports.catalog.getLatest(fineTune.baseModelName);
        const lifecycle = readLifecycle(model.tags, model.archived === true);
        const alive = checkLifecycle(model, lifecycle, today(deps));
        if (!alive.ok) return alive;
        notes.push(...alive.value);

        const tags = readModelTags(model.tags);
        notes.push(...tags.problems.map(({ code, message }) => ({ code, message })));
        const allowLists = readAllowLists(tags, model.properties ?? {});
        notes.push(
          ...allowLists.missing.map((message) => ({ code: 'COMPUTE.NOT_CHECKED' as const, message })),
        );

        // Serving is checked now, not after hours of training: a retired or disallowed
        // inference size would fail the deploy.
        const retired = vmSizeRetirement(fineTune.inferenceInstanceType, today(deps));
        if (retired !== undefined) {
          return fail({
            code: 'COMPUTE.VM_SIZE_RETIRED',
            message: retiredVmSizeMessage(fineTune.inferenceInstanceType, 'INFERENCE_INSTANCE_TYPE', retired),
          });
        }
        const instance = checkInferenceInstance(fineTune.inferenceInstanceType, allowLists.inference);
        if (!instance.ok) return instance;

        const pinned = parseComponentId(fineTune.pipelineComponent);
        if (pinned === undefined) {
          // config refuses this at start; kept so the activity never runs an unpinned component
          return fail({
            code: 'COMPONENT.NOT_FOUND',
            message: `PIPELINE_COMPONENT '${fineTune.pipelineComponent}' names no version; pin one (.../components/<name>/versions/<version>)`,
          });
        }
        const component = await ports.catalog.getComponent(pinned.name, pinned.version);
        const checked = checkJobInputs(component, {
          lenient: tags.modelSpecificDefaults,
          strict: overrides,
        });
        if (!checked.ok) return checked;
        for (const { input, value } of checked.value.dropped) {
          notes.push({
            code: 'FINETUNE.DEFAULT_DROPPED',
            message: `model default ${input}=${value} is not an input of ${component.name} ${component.version}; left out of the job`,
          });
        }
        for (const [input, value] of Object.entries(NOTEBOOK_DEFAULTS)) {
          if (!Object.hasOwn(component.inputs, input)) {
            notes.push({
              code: 'FINETUNE.DEFAULT_DROPPED',
              message: `notebook default ${input}=${value} is not an input of ${component.name} ${component.version}; left out of the job`,
            });
          }
        }
        const modelSpecificDefaults = Object.fromEntries(
          Object.entries(tags.modelSpecificDefaults).filter(([name]) =>
            Object.hasOwn(component.inputs, name),
          ),
        );
        return ok({
          model: { name: model.name, version: model.version, id: model.id, source: model.source },
          ...(Object.keys(lifecycle).length === 0 ? {} : { lifecycle }),
          component,
          ...(allowLists.finetune === undefined ? {} : { finetuneAllowList: allowLists.finetune }),
          ...(allowLists.inference === undefined ? {} : { inferenceAllowList: allowLists.inference }),
          modelSpecificDefaults,
          notes,
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
