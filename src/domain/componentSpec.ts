// The pinned pipeline component's declared inputs, and the job's inputs checked against them.
// A registry component version carries its spec (`properties.componentSpec`, with `inputs`: name
// -> {type, default?, optional?, enum?, min?, max?}); inputs and enums change between versions
// (docs/azure-facts.md), so the declaration, not our guess, decides what a job may set.
import { fail, ok, type DomainProblem, type Result } from './errors.js';
import { numberFrom } from './wireValues.js';

export type ComponentInputType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'uri_file'
  | 'uri_folder'
  | 'mlflow_model'
  | 'custom_model'
  | (string & {});

export interface ComponentInput {
  readonly type: ComponentInputType;
  readonly optional?: boolean;
  readonly default?: string;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export interface ComponentSpec {
  /** Job input form: azureml://registries/<registry>/components/<name>/versions/<version>. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly inputs: Readonly<Record<string, ComponentInput>>;
}

const COMPONENT_ID = /^azureml:\/\/registries\/([^/]+)\/components\/([^/]+)\/versions\/([^/]+)$/;

/** The parts of a pinned component id; undefined for a label (`/labels/latest`) or anything else. */
export function parseComponentId(
  id: string,
): { readonly registry: string; readonly name: string; readonly version: string } | undefined {
  const match = COMPONENT_ID.exec(id);
  if (match === null) return undefined;
  const [, registry = '', name = '', version = ''] = match;
  return { registry, name, version };
}

/** Inputs whose values are data or compute the run sets itself, never fine-tune parameters. */
const DATA_TYPES: ReadonlySet<string> = new Set(['uri_file', 'uri_folder', 'mlflow_model', 'custom_model']);

const scalarText = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;

/** Reads a componentSpec's `inputs` as the registry returns it (YAML as JSON); unusable entries are skipped. */
export function readComponentInputs(raw: unknown): Record<string, ComponentInput> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const inputs: Record<string, ComponentInput> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as Record<string, unknown>;
    if (typeof entry.type !== 'string') continue;
    const defaultText = scalarText(entry.default);
    const enumValues = Array.isArray(entry.enum)
      ? entry.enum.map(scalarText).filter((v): v is string => v !== undefined)
      : undefined;
    inputs[name] = {
      type: entry.type,
      ...(entry.optional === true ? { optional: true } : {}),
      ...(defaultText === undefined ? {} : { default: defaultText }),
      ...(enumValues === undefined ? {} : { enum: enumValues }),
      ...(typeof entry.min === 'number' ? { min: entry.min } : {}),
      ...(typeof entry.max === 'number' ? { max: entry.max } : {}),
    };
  }
  return inputs;
}

export interface InputProblem {
  readonly input: string;
  readonly code: 'FINETUNE.UNKNOWN_INPUT' | 'FINETUNE.INVALID_VALUE';
  readonly message: string;
}

function show(value: unknown): string {
  return typeof value === 'string'
    ? `'${value.length > 80 ? `${value.slice(0, 80)}...` : value}'`
    : String(value);
}

/** One value against its declaration: the wire string, or why not. */
export function checkInputValue(
  spec: ComponentSpec,
  name: string,
  value: unknown,
): Result<string, InputProblem> {
  const where = `${spec.name} ${spec.version}`;
  const invalid = (why: string) =>
    fail<InputProblem>({
      input: name,
      code: 'FINETUNE.INVALID_VALUE',
      message: `${name}: ${why} (${where})`,
    });
  const declared = Object.hasOwn(spec.inputs, name) ? spec.inputs[name] : undefined;
  if (declared === undefined) {
    return fail({
      input: name,
      code: 'FINETUNE.UNKNOWN_INPUT',
      message: `${name}: not an input of ${where}; remove it or pin a component version that has it (PIPELINE_COMPONENT)`,
    });
  }
  if (DATA_TYPES.has(declared.type)) return invalid(`a ${declared.type} input the run sets itself`);
  if (declared.enum !== undefined && declared.enum.length > 0) {
    const text = scalarText(value);
    if (text !== undefined && declared.enum.includes(text)) return ok(text);
    return invalid(`expected one of ${declared.enum.join(', ')}, got ${show(value)}`);
  }
  switch (declared.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return ok(value.toLowerCase());
      return invalid(`expected true or false, got ${show(value)}`);
    }
    case 'integer':
    case 'number': {
      const number = numberFrom(value);
      const noun = declared.type === 'integer' ? 'a whole number' : 'a number';
      if (!Number.isFinite(number) || (declared.type === 'integer' && !Number.isSafeInteger(number))) {
        return invalid(`expected ${noun}, got ${show(value)}`);
      }
      if (declared.min !== undefined && number < declared.min) {
        return invalid(`expected ${noun} >= ${declared.min}, got ${show(value)}`);
      }
      if (declared.max !== undefined && number > declared.max) {
        return invalid(`expected ${noun} <= ${declared.max}, got ${show(value)}`);
      }
      return ok(String(number));
    }
    default: {
      const text = scalarText(value);
      if (text !== undefined && text.trim() !== '') return ok(text);
      return invalid(`expected a non-empty ${declared.type}, got ${show(value)}`);
    }
  }
}

export interface CheckedInputs {
  /** The values the job may send, as wire strings. */
  readonly values: Readonly<Record<string, string>>;
  /** Values that were left out because the component does not declare them (not an error). */
  readonly dropped: readonly { readonly input: string; readonly value: string }[];
}

/**
 * Checks the job's parameter layers against the declaration. `strict` values (the run's
 * overrides) must be declared and valid: every problem is reported at once. `lenient` values
 * (notebook and model defaults) that the component does not declare are dropped and listed;
 * a declared default with an invalid value is an error (the model's tags disagree with it).
 */
export function checkJobInputs(
  spec: ComponentSpec,
  layers: {
    readonly lenient: Readonly<Record<string, string>>;
    readonly strict: Readonly<Record<string, unknown>>;
  },
): Result<CheckedInputs, DomainProblem> {
  const problems: InputProblem[] = [];
  const values: Record<string, string> = {};
  const dropped: { input: string; value: string }[] = [];
  for (const [name, value] of Object.entries(layers.lenient)) {
    if (!Object.hasOwn(spec.inputs, name)) {
      dropped.push({ input: name, value });
      continue;
    }
    const checked = checkInputValue(spec, name, value);
    if (checked.ok) values[name] = checked.value;
    else problems.push(checked.error);
  }
  for (const [name, value] of Object.entries(layers.strict)) {
    const checked = checkInputValue(spec, name, value);
    if (checked.ok) values[name] = checked.value;
    else problems.push(checked.error);
  }
  if (problems.length > 0) {
    const first = problems[0];
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    return fail({
      code: problems.every((p) => p.code === 'FINETUNE.UNKNOWN_INPUT')
        ? 'FINETUNE.UNKNOWN_INPUT'
        : (first?.code ?? 'FINETUNE.INVALID_VALUE'),
      message: `job inputs have ${count} against ${spec.name} ${spec.version}: ${problems.map((p) => p.message).join('; ')}`,
      details: problems,
    });
  }
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(values).sort()) sorted[name] = values[name] ?? '';
  return ok({ values: sorted, dropped });
}
