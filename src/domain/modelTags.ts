// The registry stores list and dict tags as Python literals ("['Standard_NC6s_v3', ...]",
// "{'apply_lora': 'true'}"). The notebook reads them with ast.literal_eval; this is a small
// parser for the same literal subset. It never evaluates anything.
import { fail, ok, type DomainProblem, type Result } from './errors.js';

export const ModelTagKey = {
  finetuneComputeAllowList: 'finetune_compute_allow_list',
  inferenceComputeAllowList: 'inference_compute_allow_list',
  modelSpecificDefaults: 'model_specific_defaults',
} as const;

class LiteralSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
};
const NUMBER = /^[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/;
const KEYWORDS: Readonly<Record<string, unknown>> = { True: true, False: false, None: null };

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): unknown {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.error(`unexpected '${this.text[this.pos]}' after the value`);
    return value;
  }

  private error(message: string): never {
    throw new LiteralSyntaxError(this.pos, message);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.error('unexpected end of text');
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') return this.sequence('(', ')');
    if (c === '{') return this.dict();
    if (c === "'" || c === '"') return this.strings();
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos))?.[0];
    if (word !== undefined) {
      if (!(word in KEYWORDS)) this.error(`'${word}' is not a literal (only True, False and None are)`);
      this.pos += word.length;
      return KEYWORDS[word];
    }
    const number = NUMBER.exec(this.text.slice(this.pos))?.[0];
    if (number === undefined) this.error(`unexpected '${c}'`);
    this.pos += number.length;
    return Number(number.replace(/_/g, ''));
  }

  private sequence(open: string, close: string): unknown[] {
    this.pos++; // open
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.text[this.pos] !== close) this.error(`expected ',' or '${close}' after an item of '${open}'`);
    }
    this.pos++;
    return items;
  }

  private dict(): Record<string, unknown> {
    this.pos++; // {
    const result: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') break;
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number')
        this.error('dict keys must be strings or numbers');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.error("expected ':' after a dict key");
      this.pos++;
      // defineProperty: a '__proto__' key stays data instead of changing the prototype.
      Object.defineProperty(result, String(key), {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.text[this.pos] !== '}') this.error("expected ',' or '}' after a dict entry");
    }
    this.pos++;
    return result;
  }

  /** Adjacent string literals concatenate, as in Python. */
  private strings(): string {
    let result = this.string();
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const c = this.text[this.pos];
      if (c !== "'" && c !== '"') {
        this.pos = save;
        return result;
      }
      result += this.string();
    }
  }

  private string(): string {
    const quote = this.text[this.pos];
    this.pos++;
    let result = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.error('unterminated string');
      this.pos++;
      if (c === quote) return result;
      if (c !== '\\') {
        result += c;
        continue;
      }
      const e = this.text[this.pos];
      if (e === undefined) this.error('unterminated string');
      this.pos++;
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        result += simple;
      } else if (e === 'x' || e === 'u') {
        const digits = this.text.slice(this.pos, this.pos + (e === 'x' ? 2 : 4));
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== (e === 'x' ? 2 : 4)) {
          this.error(`bad \\${e} escape`);
        }
        result += String.fromCharCode(parseInt(digits, 16));
        this.pos += digits.length;
      } else {
        result += `\\${e}`; // Python keeps unknown escapes as written
      }
    }
  }
}

/** Parses a Python literal (lists, tuples, dicts, strings, numbers, True/False/None). */
export function parsePythonLiteral(text: string): Result<unknown> {
  try {
    return ok(new LiteralParser(text).parseAll());
  } catch (error) {
    if (!(error instanceof LiteralSyntaxError)) throw error;
    return fail({
      code: 'MODEL.BAD_TAG_LITERAL',
      message: `not a Python literal at offset ${error.offset}: ${error.message}`,
    });
  }
}

/** Component inputs are Python identifiers; anything else in the tag cannot be one. */
const COMPONENT_INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ModelTags {
  readonly finetuneComputeAllowList?: string[];
  readonly inferenceComputeAllowList?: string[];
  /** Component input name -> the string value the component takes. */
  readonly modelSpecificDefaults: Record<string, string>;
  /** Tags that were present but unreadable; the run goes on as if they were absent. */
  readonly problems: DomainProblem[];
}

/** A scalar as the component takes it: booleans as "true"/"false", numbers in decimal text. */
export function toComponentString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function readList(
  tags: Readonly<Record<string, string>>,
  key: string,
  problems: DomainProblem[],
): string[] | undefined {
  const raw = tags[key];
  if (raw === undefined) return undefined;
  const parsed = parsePythonLiteral(raw);
  if (parsed.ok && Array.isArray(parsed.value) && parsed.value.every((v) => typeof v === 'string')) {
    return parsed.value;
  }
  problems.push({
    code: 'MODEL.BAD_TAG',
    message: `model tag '${key}' is not a list of strings: ${parsed.ok ? raw : parsed.error.message}`,
  });
  return undefined;
}

function readDefaults(
  tags: Readonly<Record<string, string>>,
  problems: DomainProblem[],
): Record<string, string> {
  const key = ModelTagKey.modelSpecificDefaults;
  const raw = tags[key];
  if (raw === undefined) return {};
  const parsed = parsePythonLiteral(raw);
  if (
    !parsed.ok ||
    typeof parsed.value !== 'object' ||
    parsed.value === null ||
    Array.isArray(parsed.value)
  ) {
    problems.push({
      code: 'MODEL.BAD_TAG',
      message: `model tag '${key}' is not a dict: ${parsed.ok ? raw : parsed.error.message}`,
    });
    return {};
  }
  const defaults: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.value)) {
    const text = toComponentString(value);
    if (!COMPONENT_INPUT_NAME.test(name)) {
      problems.push({
        code: 'MODEL.BAD_TAG',
        message: `model tag '${key}' entry '${name}' is not a component input name; ignored`,
      });
    } else if (text === undefined) {
      problems.push({
        code: 'MODEL.BAD_TAG',
        message: `model tag '${key}' entry '${name}' is not a string, number or boolean; ignored`,
      });
    } else {
      // defineProperty: a tag entry named __proto__ is data, never the object's prototype
      Object.defineProperty(defaults, name, {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return defaults;
}

/** Reads the tags the notebook uses; an unreadable tag is reported and treated as absent. */
export function readModelTags(tags: Readonly<Record<string, string>>): ModelTags {
  const problems: DomainProblem[] = [];
  const finetuneComputeAllowList = readList(tags, ModelTagKey.finetuneComputeAllowList, problems);
  const inferenceComputeAllowList = readList(tags, ModelTagKey.inferenceComputeAllowList, problems);
  const modelSpecificDefaults = readDefaults(tags, problems);
  return {
    ...(finetuneComputeAllowList === undefined ? {} : { finetuneComputeAllowList }),
    ...(inferenceComputeAllowList === undefined ? {} : { inferenceComputeAllowList }),
    modelSpecificDefaults,
    problems,
  };
}

/** Model properties that newer registry specs carry (comma-separated VM sizes) where older ones had allow-list tags. */
export const ModelPropertyKey = {
  finetuneRecommendedSku: 'finetune-recommended-sku',
  inferenceRecommendedSku: 'inference-recommended-sku',
} as const;

export interface AllowLists {
  readonly finetune?: readonly string[];
  readonly inference?: readonly string[];
  /** Why a list is missing, for the run view's notes ("not checked: <why>"). */
  readonly missing: readonly string[];
}

const skuList = (raw: string | undefined): string[] | undefined => {
  const sizes = raw
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return sizes === undefined || sizes.length === 0 ? undefined : sizes;
};

/**
 * The compute allow lists wherever the registry keeps them: the notebook's tags first, then the
 * `*-recommended-sku` properties (docs/azure-facts.md). A list found in neither is reported in
 * `missing`, never silently treated as "anything goes".
 */
export function readAllowLists(tags: ModelTags, properties: Readonly<Record<string, string>>): AllowLists {
  const finetune =
    tags.finetuneComputeAllowList ?? skuList(properties[ModelPropertyKey.finetuneRecommendedSku]);
  const inference =
    tags.inferenceComputeAllowList ?? skuList(properties[ModelPropertyKey.inferenceRecommendedSku]);
  const missing: string[] = [];
  if (finetune === undefined) {
    missing.push(
      `the base model names no fine-tune VM sizes (no tag ${ModelTagKey.finetuneComputeAllowList}, no property ${ModelPropertyKey.finetuneRecommendedSku}): the cluster's VM size is not checked against an allow list`,
    );
  }
  if (inference === undefined) {
    missing.push(
      `the base model names no inference VM sizes (no tag ${ModelTagKey.inferenceComputeAllowList}, no property ${ModelPropertyKey.inferenceRecommendedSku}): INFERENCE_INSTANCE_TYPE is not checked against an allow list`,
    );
  }
  return {
    ...(finetune === undefined ? {} : { finetune }),
    ...(inference === undefined ? {} : { inference }),
    missing,
  };
}
