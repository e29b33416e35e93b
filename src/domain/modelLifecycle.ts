// A registry model's lifecycle, from the tags the azureml registry puts on it
// (FinetuneDeprecationDate, FinetuneRetirementDate, InferenceDeprecationDate,
// InferenceRetirementDate: ISO dates) and its archive state. A model past its fine-tune
// retirement is refused before any GPU is asked for; past a deprecation date the run goes on
// with a note. Sources: docs/azure-facts.md.
import { fail, ok, type DomainProblem, type Result } from './errors.js';

export const LifecycleTag = {
  finetuneDeprecation: 'FinetuneDeprecationDate',
  finetuneRetirement: 'FinetuneRetirementDate',
  inferenceDeprecation: 'InferenceDeprecationDate',
  inferenceRetirement: 'InferenceRetirementDate',
} as const;

export interface ModelLifecycle {
  readonly finetuneDeprecationDate?: string;
  readonly finetuneRetirementDate?: string;
  readonly inferenceDeprecationDate?: string;
  readonly inferenceRetirementDate?: string;
  readonly archived?: boolean;
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})/;

/** The date part of a tag value (`2025-08-30`, `2025-08-30T00:00:00Z`); undefined when not a date. */
function dateOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : ISO_DATE.exec(value.trim())?.[1];
}

/** Reads the lifecycle tags, case-insensitively (the registry's tag keys are PascalCase today). */
export function readLifecycle(tags: Readonly<Record<string, string>>, archived: boolean): ModelLifecycle {
  const byLower = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
  const read = (key: string) => dateOf(byLower.get(key.toLowerCase()));
  const dates = {
    finetuneDeprecationDate: read(LifecycleTag.finetuneDeprecation),
    finetuneRetirementDate: read(LifecycleTag.finetuneRetirement),
    inferenceDeprecationDate: read(LifecycleTag.inferenceDeprecation),
    inferenceRetirementDate: read(LifecycleTag.inferenceRetirement),
  };
  const lifecycle: { -readonly [K in keyof ModelLifecycle]: ModelLifecycle[K] } = {};
  for (const [key, value] of Object.entries(dates) as [keyof typeof dates, string | undefined][]) {
    if (value !== undefined) lifecycle[key] = value;
  }
  if (archived) lifecycle.archived = true;
  return lifecycle;
}

export interface LifecycleNote {
  readonly code: 'MODEL.FINETUNE_DEPRECATED' | 'MODEL.INFERENCE_DEPRECATED' | 'MODEL.INFERENCE_RETIRED';
  readonly message: string;
}

/**
 * Whether the model can still be fine-tuned on `today` (YYYY-MM-DD, UTC). Retired or archived:
 * MODEL.FINETUNE_RETIRED naming the model, version, date and the setting to change. Deprecated
 * (or past an inference date): notes for the run view.
 */
export function checkLifecycle(
  model: { readonly name: string; readonly version: string },
  lifecycle: ModelLifecycle,
  today: string,
): Result<readonly LifecycleNote[], DomainProblem> {
  const who = `model ${model.name} version ${model.version}`;
  const change = 'set BASE_MODEL_NAME to a model whose fine-tuning is live in the registry';
  const retired = lifecycle.finetuneRetirementDate;
  if (retired !== undefined && today >= retired) {
    return fail({
      code: 'MODEL.FINETUNE_RETIRED',
      message: `${who} was retired for fine-tuning on ${retired} (registry tag ${LifecycleTag.finetuneRetirement}); ${change}`,
      details: { model: model.name, version: model.version, finetuneRetirementDate: retired },
    });
  }
  if (lifecycle.archived === true) {
    return fail({
      code: 'MODEL.FINETUNE_RETIRED',
      message: `${who} is archived in the registry and can no longer be fine-tuned; ${change}`,
      details: { model: model.name, version: model.version, archived: true },
    });
  }
  const notes: LifecycleNote[] = [];
  const deprecated = lifecycle.finetuneDeprecationDate;
  if (deprecated !== undefined && today >= deprecated) {
    notes.push({
      code: 'MODEL.FINETUNE_DEPRECATED',
      message: `${who} is deprecated for fine-tuning since ${deprecated}${retired === undefined ? '' : ` and retires on ${retired}`}; plan a move to another model`,
    });
  }
  const inferenceRetired = lifecycle.inferenceRetirementDate;
  const inferenceDeprecated = lifecycle.inferenceDeprecationDate;
  if (inferenceRetired !== undefined && today >= inferenceRetired) {
    notes.push({
      code: 'MODEL.INFERENCE_RETIRED',
      message: `${who} was retired for inference on ${inferenceRetired}: deploying its fine-tuned model may be refused`,
    });
  } else if (inferenceDeprecated !== undefined && today >= inferenceDeprecated) {
    notes.push({
      code: 'MODEL.INFERENCE_DEPRECATED',
      message: `${who} is deprecated for inference since ${inferenceDeprecated}${inferenceRetired === undefined ? '' : ` and retires on ${inferenceRetired}`}`,
    });
  }
  return ok(notes);
}
