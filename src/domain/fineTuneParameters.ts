// Fine-tune parameters of the chat_completion_pipeline component, resolved as the notebook does:
// its defaults, then the model's `model_specific_defaults` tag, then the run's overrides
// (finetune.json or the HTTP body). Names are the component's snake_case inputs and every value
// is the string the component takes on the wire.
import { fail, ok, type DomainProblem, type Result } from './errors.js';
import { numberFrom } from './wireValues.js';
import { truncated } from './untrustedInput.js';

type ParameterRule =
  | { readonly kind: 'integer'; readonly min: number; readonly max: number; readonly sentinel?: number }
  | { readonly kind: 'number'; readonly min: number; readonly minExclusive?: boolean; readonly max?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'choice'; readonly values: readonly string[] }
  | { readonly kind: 'text' };

const int = (min: number, max: number): ParameterRule => ({ kind: 'integer', min, max });
/** A whole number from min to max, or -1: the component's "no limit / the model's maximum". */
const intOrUnset = (min: number, max: number): ParameterRule => ({ kind: 'integer', min, max, sentinel: -1 });
const text: ParameterRule = { kind: 'text' };
/** Steps of a training run: far beyond any real one, still a safe integer. */
const MAX_STEPS = 1_000_000_000;
const flag: ParameterRule = { kind: 'boolean' };
const choice = (...values: string[]): ParameterRule => ({ kind: 'choice', values });

export const LR_SCHEDULER_TYPES = [
  'linear',
  'cosine',
  'cosine_with_restarts',
  'polynomial',
  'constant',
  'constant_with_warmup',
] as const;

/**
 * The component inputs a run may set: the ones docs/azure-facts.md and the notebook name, plus common
 * trainer inputs the component documents. Unsure ones are left out on purpose: an unknown name
 * is rejected at once instead of failing the job at submission. Data and compute inputs
 * (mlflow_model_path, *_file_path, compute_*) are not parameters: the run sets them itself.
 */
export const FINETUNE_PARAMETER_RULES: Readonly<Record<string, ParameterRule>> = Object.freeze({
  // Maxima are generous sanity bounds (a value past them is a typo, not a plan): they keep every
  // integer a safe integer whose String() has no exponent, e.g. never "1e+308" on the wire.
  number_of_gpu_to_use_finetuning: int(1, 64),
  num_nodes_finetune: int(1, 1_000),
  num_train_epochs: int(1, 1_000),
  max_steps: int(-1, MAX_STEPS),
  per_device_train_batch_size: int(1, 4_096),
  per_device_eval_batch_size: int(1, 4_096),
  gradient_accumulation_steps: int(1, 4_096),
  learning_rate: { kind: 'number', min: 0, minExclusive: true, max: 1 },
  lr_scheduler_type: choice(...LR_SCHEDULER_TYPES),
  warmup_steps: int(0, MAX_STEPS),
  weight_decay: { kind: 'number', min: 0, max: 1 },
  // numpy's seed range (0 .. 2^32 - 1)
  seed: int(0, 4_294_967_295),
  apply_lora: flag,
  lora_r: int(1, 4_096),
  lora_alpha: int(1, 65_536),
  lora_dropout: { kind: 'number', min: 0, max: 1 },
  apply_deepspeed: flag,
  deepspeed_stage: choice('2', '3'),
  apply_ort: flag,
  precision: choice('16', '32'),
  max_seq_length: intOrUnset(1, 1_048_576),
  save_total_limit: intOrUnset(1, 1_000),
  optim: choice('adamw_hf', 'adamw_torch', 'adafactor'),
  auto_find_batch_size: flag,
  evaluation_strategy: choice('epoch', 'steps'),
  eval_steps: int(1, MAX_STEPS),
  logging_strategy: choice('epoch', 'steps'),
  logging_steps: int(1, MAX_STEPS),
  metric_for_best_model: text,
  ignore_mismatched_sizes: flag,
  enable_full_determinism: flag,
});

/** The rule for a parameter name; names inherited from Object.prototype are not parameters. */
export function parameterRule(name: string): ParameterRule | undefined {
  return Object.hasOwn(FINETUNE_PARAMETER_RULES, name) ? FINETUNE_PARAMETER_RULES[name] : undefined;
}

/** The notebook's training + optimization parameters, plus one node (the component's default). */
export const NOTEBOOK_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  num_train_epochs: '3',
  per_device_train_batch_size: '1',
  per_device_eval_batch_size: '1',
  learning_rate: '0.000005',
  lr_scheduler_type: 'cosine',
  apply_lora: 'true',
  apply_deepspeed: 'true',
  deepspeed_stage: '2',
  num_nodes_finetune: '1',
});

export const GPUS_PARAMETER = 'number_of_gpu_to_use_finetuning';
export const NODES_PARAMETER = 'num_nodes_finetune';

/** Component input name -> wire value, keys sorted. */
export type FineTuneParameters = Readonly<Record<string, string>>;
/** Where a value came from: notebook default, model tag, the run's override, or the compute's GPU count. */
export type ParameterSource = 'default' | 'model' | 'override' | 'compute';

export interface ParameterProblem {
  readonly parameter: string;
  readonly code: string;
  readonly message: string;
}

export const FineTuneCode = {
  invalidOverrides: 'FINETUNE.INVALID_OVERRIDES',
  /** finetune.json (or an overrides file) is not JSON at all. */
  overridesNotJson: 'FINETUNE.OVERRIDES_NOT_JSON',
  notAnObject: 'FINETUNE.NOT_AN_OBJECT',
  unknownParameter: 'FINETUNE.UNKNOWN_PARAMETER',
  badType: 'FINETUNE.BAD_TYPE',
  outOfRange: 'FINETUNE.OUT_OF_RANGE',
  /** Overrides past OVERRIDES_LIMITS (nesting depth, key count). */
  tooLarge: 'FINETUNE.OVERRIDES_TOO_LARGE',
} as const;

/**
 * Limits on requested overrides, checked before anything recursive runs (run-id hashing, messages,
 * the durable input's JSON): the component takes ~30 scalar inputs, so these only stop junk.
 */
export const OVERRIDES_LIMITS = Object.freeze({
  /** The overrides object is depth 1; a scalar value in it adds nothing. */
  maxDepth: 4,
  /** Keys and array elements counted at every depth. */
  maxEntries: 200,
  /** Longer names are echoed truncated and get no "did you mean". */
  maxNameLength: 100,
  /** A string value (text parameters and every echo of a value). */
  maxTextLength: 256,
});

/**
 * Why `value` is too deep or too big for overrides, or undefined. Iterative, and it stops at the
 * first limit passed, so a 5,000-level array costs a few steps.
 */
export function overridesSizeProblem(value: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let entries = 0;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > OVERRIDES_LIMITS.maxDepth) {
      return `overrides are nested more than ${OVERRIDES_LIMITS.maxDepth} levels deep; fine-tune parameters are single values`;
    }
    const children: unknown[] = Array.isArray(item.value) ? item.value : Object.values(item.value);
    entries += children.length;
    if (entries > OVERRIDES_LIMITS.maxEntries) {
      return `overrides hold more than ${OVERRIDES_LIMITS.maxEntries} keys and array elements; there are ${Object.keys(FINETUNE_PARAMETER_RULES).length} fine-tune parameters`;
    }
    for (const child of children) stack.push({ value: child, depth });
  }
  return undefined;
}

/** A value as a message shows it, bounded: only called on values within OVERRIDES_LIMITS. */
function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const shown = truncated(text, OVERRIDES_LIMITS.maxTextLength);
  return typeof value === 'string' ? `'${shown}'` : shown;
}

function rangeText(rule: { min: number; minExclusive?: boolean; max?: number }): string {
  const low = rule.minExclusive === true ? `> ${rule.min}` : `>= ${rule.min}`;
  if (rule.max === undefined) return low;
  return rule.minExclusive === true ? `${low} and <= ${rule.max}` : `from ${rule.min} to ${rule.max}`;
}

/** One value against its rule: the wire string, or the problem with it. */
function normalize(parameter: string, rule: ParameterRule, value: unknown): Result<string, ParameterProblem> {
  const problem = (code: string, message: string) =>
    fail({ parameter, code, message: `${parameter}: ${message}` });
  switch (rule.kind) {
    case 'boolean': {
      if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return ok(value.toLowerCase());
      return problem(FineTuneCode.badType, `expected true or false, got ${describe(value)}`);
    }
    case 'choice': {
      const text = typeof value === 'number' ? String(value) : value;
      if (typeof text === 'string' && rule.values.includes(text)) return ok(text);
      if (typeof text !== 'string') {
        return problem(
          FineTuneCode.badType,
          `expected one of ${rule.values.join(', ')}, got ${describe(value)}`,
        );
      }
      return problem(
        FineTuneCode.outOfRange,
        `expected one of ${rule.values.join(', ')}, got ${describe(value)}`,
      );
    }
    case 'text': {
      if (typeof value === 'string' && value.length > OVERRIDES_LIMITS.maxTextLength) {
        return problem(
          FineTuneCode.outOfRange,
          `expected at most ${OVERRIDES_LIMITS.maxTextLength} characters, got ${value.length}`,
        );
      }
      if (typeof value === 'string' && value.trim() !== '') return ok(value);
      return problem(FineTuneCode.badType, `expected a non-empty string, got ${describe(value)}`);
    }
    case 'integer':
    case 'number': {
      const number = numberFrom(value);
      const noun = rule.kind === 'integer' ? 'a whole number' : 'a number';
      // isInteger, not isSafeInteger: 1e308 is a whole number, refused below as out of range.
      if (!Number.isFinite(number) || (rule.kind === 'integer' && !Number.isInteger(number))) {
        return problem(FineTuneCode.badType, `expected ${noun}, got ${describe(value)}`);
      }
      const sentinel = rule.kind === 'integer' ? rule.sentinel : undefined;
      const low =
        rule.kind === 'number' && rule.minExclusive === true ? number <= rule.min : number < rule.min;
      if (number !== sentinel && (low || (rule.max !== undefined && number > rule.max))) {
        const or = sentinel === undefined ? '' : ` or ${sentinel}`;
        return problem(
          FineTuneCode.outOfRange,
          `expected ${noun} ${rangeText(rule)}${or}, got ${describe(value)}`,
        );
      }
      return ok(String(number));
    }
  }
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest known name within a third of its length (typos, not guesses); none for long names. */
function suggestion(name: string): string | undefined {
  if (name.length > OVERRIDES_LIMITS.maxNameLength) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const known of Object.keys(FINETUNE_PARAMETER_RULES)) {
    const distance = editDistance(name.toLowerCase(), known);
    if (
      distance <= Math.max(2, Math.floor(known.length / 3)) &&
      (best === undefined || distance < best.distance)
    ) {
      best = { name: known, distance };
    }
  }
  return best?.name;
}

function overridesProblem(problems: readonly ParameterProblem[]): DomainProblem {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return {
    code: FineTuneCode.invalidOverrides,
    message: `fine-tune overrides have ${count}: ${problems.map((p) => p.message).join('; ')}`,
    details: problems,
  };
}

/**
 * Checks requested overrides (finetune.json or the HTTP body) and returns them as wire strings.
 * Every problem is reported at once; `details` lists them as {parameter, code, message}.
 */
export function validateOverrides(overrides: unknown): Result<Record<string, string>> {
  if (overrides === undefined || overrides === null) return ok({});
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    return fail(
      overridesProblem([
        {
          parameter: '',
          code: FineTuneCode.notAnObject,
          message: `overrides must be a JSON object of component inputs, got ${Array.isArray(overrides) ? 'an array' : describe(overrides)}`,
        },
      ]),
    );
  }
  const tooBig = overridesSizeProblem(overrides);
  if (tooBig !== undefined) {
    return fail(overridesProblem([{ parameter: '', code: FineTuneCode.tooLarge, message: tooBig }]));
  }
  const problems: ParameterProblem[] = [];
  const normalized: [string, string][] = [];
  for (const [parameter, value] of Object.entries(overrides)) {
    const rule = parameterRule(parameter);
    if (rule === undefined) {
      const hint = suggestion(parameter);
      const shown = truncated(parameter);
      problems.push({
        parameter: shown,
        code: FineTuneCode.unknownParameter,
        message: `${shown}: not a fine-tune parameter${hint === undefined ? '' : `; did you mean '${hint}'?`}`,
      });
      continue;
    }
    const result = normalize(parameter, rule, value);
    if (result.ok) normalized.push([parameter, result.value]);
    else problems.push(result.error);
  }
  return problems.length > 0 ? fail(overridesProblem(problems)) : ok(Object.fromEntries(normalized));
}

/** An own property of an object (never one inherited from Object.prototype), or undefined. */
function ownValue(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null && Object.hasOwn(record, name)
    ? (record as Record<string, unknown>)[name]
    : undefined;
}

export interface ResolveInput {
  /** From the model's tags (already strings); unknown names pass through as the notebook does. */
  readonly modelSpecificDefaults: Readonly<Record<string, string>>;
  readonly overrides: unknown;
  /** GPUs per node of the compute (number_of_gpu_to_use_finetuning). */
  readonly gpusPerNode: number;
}

export interface ResolvedParameters {
  readonly parameters: FineTuneParameters;
  readonly sources: Readonly<Record<string, ParameterSource>>;
}

/**
 * Notebook defaults < model-specific defaults < overrides. The GPU count is the compute's
 * (the notebook passes gpus_per_node); an override may use fewer GPUs, never more than a node has.
 */
export function resolveFineTuneParameters(input: ResolveInput): Result<ResolvedParameters> {
  const validated = validateOverrides(input.overrides);
  const problems = validated.ok ? [] : [...(validated.error.details as ParameterProblem[])];
  const overrides = validated.ok ? validated.value : {};
  // Checked on the raw value so this problem is listed with the others, not after they are fixed.
  const rawGpus = ownValue(input.overrides, GPUS_PARAMETER);
  const requestedGpus = typeof rawGpus === 'number' || typeof rawGpus === 'string' ? Number(rawGpus) : NaN;
  if (Number.isInteger(requestedGpus) && requestedGpus > input.gpusPerNode) {
    problems.push({
      parameter: GPUS_PARAMETER,
      code: FineTuneCode.outOfRange,
      message: `${GPUS_PARAMETER}: the compute has ${input.gpusPerNode} GPU(s) per node, got ${requestedGpus}`,
    });
  }
  if (problems.length > 0) return fail(overridesProblem(problems));

  // Maps, then fromEntries: a name such as `__proto__` (a model tag) stays a plain own key.
  const values = new Map<string, { value: string; source: ParameterSource }>();
  const layer = (from: Readonly<Record<string, string>>, source: ParameterSource) => {
    for (const [name, value] of Object.entries(from)) values.set(name, { value, source });
  };
  layer(NOTEBOOK_DEFAULTS, 'default');
  layer(input.modelSpecificDefaults, 'model');
  layer({ [GPUS_PARAMETER]: String(input.gpusPerNode) }, 'compute');
  layer(overrides, 'override');

  const sorted = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return ok({
    parameters: Object.fromEntries(sorted.map(([name, v]) => [name, v.value])),
    sources: Object.fromEntries(sorted.map(([name, v]) => [name, v.source])),
  });
}

/**
 * Nodes the fine-tune step will use (model default < override), before the compute is known:
 * the compute check needs it to size the quota. Invalid overrides are reported by
 * resolveFineTuneParameters; here they fall back to the lower layers.
 */
export function fineTuneNodes(input: {
  readonly modelSpecificDefaults: Readonly<Record<string, string>>;
  readonly overrides: unknown;
}): number {
  const rule = parameterRule(NODES_PARAMETER);
  const candidates: unknown[] = [
    ownValue(input.overrides, NODES_PARAMETER),
    ownValue(input.modelSpecificDefaults, NODES_PARAMETER),
  ];
  for (const candidate of candidates) {
    if (candidate === undefined || rule === undefined) continue;
    const normalized = normalize(NODES_PARAMETER, rule, candidate);
    if (normalized.ok) return Number(normalized.value);
  }
  return Number(NOTEBOOK_DEFAULTS[NODES_PARAMETER]);
}
