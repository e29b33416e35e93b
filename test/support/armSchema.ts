// Checks a request body against the request schema the Azure REST spec defines, as the SDK
// generated it into model mappers (@azure/arm-machinelearning's models/mappers): required
// properties, types, enums, patterns and lengths, polymorphic kinds, and properties the schema
// does not have. Free-form values (`any`, dictionaries of anything) are not looked into: the
// spec does not describe them either.
import * as Mappers from '@azure/arm-machinelearning/dist-esm/src/models/mappers.js';

interface MapperType {
  readonly name: string;
  readonly className?: string;
  readonly modelProperties?: Readonly<Record<string, Mapper>>;
  readonly additionalProperties?: unknown;
  readonly uberParent?: string;
  readonly polymorphicDiscriminator?: { readonly serializedName: string; readonly clientName: string };
  readonly allowedValues?: readonly unknown[];
  readonly value?: Mapper;
  readonly element?: Mapper;
}

export interface Mapper {
  readonly serializedName?: string;
  readonly required?: boolean;
  readonly readOnly?: boolean;
  readonly constraints?: {
    readonly Pattern?: RegExp;
    readonly MinLength?: number;
    readonly MaxLength?: number;
    readonly InclusiveMinimum?: number;
    readonly InclusiveMaximum?: number;
  };
  readonly type: MapperType;
}

const registry = Mappers as unknown as Record<string, Mapper> & {
  readonly discriminators: Readonly<Record<string, Mapper>>;
};

/** The SDK's mapper for a model, e.g. `ModelVersion`, `OnlineEndpoint`, `OnlineDeployment`, `JobBase`. */
export function mapperFor(className: string): Mapper {
  const mapper = registry[className];
  if (mapper === undefined || typeof mapper !== 'object' || !('type' in mapper)) {
    throw new Error(`@azure/arm-machinelearning has no mapper ${className}`);
  }
  return mapper;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A composite given by class name only is the registered mapper of that class. */
function resolve(mapper: Mapper): Mapper {
  const className = mapper.type.className;
  if (mapper.type.modelProperties !== undefined || className === undefined) return mapper;
  const registered = registry[className];
  return registered === undefined ? mapper : { ...registered, required: mapper.required ?? false };
}

/** The concrete mapper of a polymorphic composite, picked by its discriminator's value. */
function concrete(mapper: Mapper, value: Record<string, unknown>): Mapper {
  const discriminator = mapper.type.polymorphicDiscriminator;
  if (discriminator === undefined) return mapper;
  const kind = value[discriminator.serializedName];
  if (typeof kind !== 'string') return mapper;
  const found =
    registry.discriminators[`${mapper.type.className ?? ''}.${kind}`] ??
    registry.discriminators[`${mapper.type.uberParent ?? ''}.${kind}`];
  return found ?? mapper;
}

/** Problems with `value` against `mapper`, each naming the JSON path; empty when it conforms. */
export function checkAgainst(value: unknown, mapper: Mapper, path = '$'): string[] {
  const problems: string[] = [];
  if (value === undefined || value === null) {
    if (mapper.required === true) problems.push(`${path} is required`);
    return problems;
  }
  const { type, constraints } = mapper;
  switch (type.name) {
    case 'String':
    case 'Uuid':
    case 'TimeSpan':
    case 'DateTime':
    case 'ByteArray':
      if (typeof value !== 'string') {
        problems.push(`${path} must be a string, is ${JSON.stringify(value)}`);
        break;
      }
      if (
        type.name === 'TimeSpan' &&
        !/^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(value)
      ) {
        problems.push(`${path} must be an ISO-8601 duration, is '${value}'`);
      }
      if (constraints?.Pattern !== undefined && !constraints.Pattern.test(value)) {
        problems.push(`${path} '${value}' does not match ${String(constraints.Pattern)}`);
      }
      if (constraints?.MinLength !== undefined && value.length < constraints.MinLength) {
        problems.push(`${path} is shorter than ${constraints.MinLength}`);
      }
      if (constraints?.MaxLength !== undefined && value.length > constraints.MaxLength) {
        problems.push(`${path} is longer than ${constraints.MaxLength}`);
      }
      break;
    case 'Number':
      if (typeof value !== 'number') problems.push(`${path} must be a number, is ${JSON.stringify(value)}`);
      break;
    case 'Boolean':
      if (typeof value !== 'boolean') problems.push(`${path} must be a boolean, is ${JSON.stringify(value)}`);
      break;
    case 'Enum':
      if (!(type.allowedValues ?? []).includes(value)) {
        problems.push(
          `${path} must be one of ${JSON.stringify(type.allowedValues)}, is ${JSON.stringify(value)}`,
        );
      }
      break;
    case 'Sequence':
      if (!Array.isArray(value)) {
        problems.push(`${path} must be an array`);
        break;
      }
      value.forEach((item, i) => {
        if (type.element !== undefined) problems.push(...checkAgainst(item, type.element, `${path}[${i}]`));
      });
      break;
    case 'Dictionary':
      if (!isRecord(value)) {
        problems.push(`${path} must be an object`);
        break;
      }
      for (const [key, item] of Object.entries(value)) {
        if (type.value !== undefined) problems.push(...checkAgainst(item, type.value, `${path}.${key}`));
      }
      break;
    case 'Composite': {
      if (!isRecord(value)) {
        problems.push(`${path} must be an object`);
        break;
      }
      const resolved = concrete(resolve(mapper), value);
      const properties = resolved.type.modelProperties ?? {};
      const known = new Set<string>();
      for (const property of Object.values(properties)) {
        const name = property.serializedName;
        if (name === undefined) continue;
        known.add(name);
        problems.push(...checkAgainst(value[name], property, `${path}.${name}`));
      }
      if (resolved.type.additionalProperties === undefined) {
        for (const key of Object.keys(value)) {
          if (!known.has(key))
            problems.push(`${path}.${key} is not a property of ${resolved.type.className ?? 'this object'}`);
        }
      }
      break;
    }
    default:
      // Object / any: free-form in the spec, nothing to check.
      break;
  }
  return problems;
}
