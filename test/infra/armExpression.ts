// A reader for ARM template expressions ("[concat(parameters('a'), '/x')]"), enough to check
// templates without Azure: it parses an expression and evaluates it symbolically. Literals,
// concat/format/string/toLower/if-free arithmetic of names come out as text; whatever only Azure
// knows (parameters without a value, uniqueString, reference, ...) comes out as a stable
// placeholder such as ⟨p:appName⟩ or ⟨uniquestring(resourcegroup().id)⟩, so two spellings of the
// same name compare equal and a resourceId(...) can be matched to the resource it names.

export type Expr =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
      readonly accessors: readonly Accessor[];
    };

export type Accessor =
  { readonly kind: 'property'; readonly name: string } | { readonly kind: 'index'; readonly expr: Expr };

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** True when a JSON string is an expression ("[...]"); "[[" escapes a literal bracket. */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

/** Parses a JSON string value: an expression, or a literal string. */
export function parseValue(value: string): Expr {
  if (!isExpression(value)) {
    return { kind: 'string', value: value.startsWith('[[') ? value.slice(1) : value };
  }
  const parser = new Parser(value.slice(1, -1));
  const expr = parser.expression();
  parser.end();
  return expr;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  expression(): Expr {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === "'") return { kind: 'string', value: this.stringLiteral() };
    if (ch !== undefined && /[-\d]/.test(ch)) return this.numberLiteral();
    const name = this.identifier();
    this.expect('(');
    const args: Expr[] = [];
    this.skipSpace();
    if (this.text[this.pos] !== ')') {
      args.push(this.expression());
      for (this.skipSpace(); this.text[this.pos] === ','; this.skipSpace()) {
        this.pos++;
        args.push(this.expression());
      }
    }
    this.expect(')');
    const accessors: Accessor[] = [];
    for (;;) {
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === '.') {
        this.pos++;
        accessors.push({ kind: 'property', name: this.identifier() });
      } else if (next === '[') {
        this.pos++;
        accessors.push({ kind: 'index', expr: this.expression() });
        this.expect(']');
      } else {
        break;
      }
    }
    return { kind: 'call', name, args, accessors };
  }

  end(): void {
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the expression');
  }

  private stringLiteral(): string {
    let out = '';
    this.pos++; // opening quote
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === "'") {
        if (this.text[this.pos + 1] === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      out += ch;
      this.pos++;
    }
  }

  private numberLiteral(): Expr {
    const match = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.pos));
    if (!match) this.fail('bad number');
    this.pos += match[0].length;
    return { kind: 'number', value: Number(match[0]) };
  }

  private identifier(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) this.fail('expected a function name');
    this.pos += match[0].length;
    return match[0];
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  private skipSpace(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  private fail(message: string): never {
    throw new ExpressionError(`${message} at position ${this.pos} of [${this.text}]`);
  }
}

/** Every call in an expression, outermost first (arguments and index expressions included). */
export function* calls(expr: Expr): Generator<Extract<Expr, { kind: 'call' }>> {
  if (expr.kind !== 'call') return;
  yield expr;
  for (const arg of expr.args) yield* calls(arg);
  for (const accessor of expr.accessors) if (accessor.kind === 'index') yield* calls(accessor.expr);
}

export type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export interface Scope {
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly variables: Readonly<Record<string, unknown>>;
  /** Use parameters' literal default values instead of placeholders (for checking app settings). */
  readonly parameterDefaults?: boolean;
  /** Values for some parameters, as a deployment's parameters file would give them (win over defaults). */
  readonly parameterValues?: Readonly<Record<string, Value>>;
}

/** A resource id the evaluator could build: its type and name ('a/b' for child resources). */
export interface ResourceRef {
  readonly type: string;
  readonly name: string;
}

const ID_PREFIX = '⟨id:';
const RESOURCE_TYPE = /^[A-Za-z0-9]+\.[A-Za-z0-9.]+\/[A-Za-z]/;
const ID_FUNCTIONS = new Set([
  'resourceid',
  'subscriptionresourceid',
  'extensionresourceid',
  'tenantresourceid',
]);

/** The type and name a resourceId-family call points at, or undefined for other calls. */
export function resourceRef(call: Extract<Expr, { kind: 'call' }>, scope: Scope): ResourceRef | undefined {
  const fn = call.name.toLowerCase();
  if (!ID_FUNCTIONS.has(fn)) return undefined;
  const args = call.args.map((arg) => text(evaluate(arg, scope)));
  const start = fn === 'extensionresourceid' ? 1 : 0;
  const typeIndex = args.findIndex((arg, i) => i >= start && RESOURCE_TYPE.test(arg));
  if (typeIndex < 0) throw new ExpressionError(`${call.name}(...) has no resource type argument`);
  return { type: args[typeIndex] ?? '', name: args.slice(typeIndex + 1).join('/') };
}

/** The reference a value made of a resourceId-family call stands for (see evaluate). */
export function refFromValue(value: Value): ResourceRef | undefined {
  if (typeof value !== 'string' || !value.startsWith(ID_PREFIX) || !value.endsWith('⟩')) return undefined;
  const body = value.slice(ID_PREFIX.length, -1);
  // Split at the first '|' outside nested placeholders (a name can hold another resource id).
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '⟨') depth++;
    else if (ch === '⟩') depth--;
    else if (ch === '|' && depth === 0) return { type: body.slice(0, i), name: body.slice(i + 1) };
  }
  return undefined;
}

/** Canonical text of a value (placeholders stay placeholders). */
export function text(value: Value): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Evaluates a JSON string from a template (expression or literal). */
export function evaluateString(value: string, scope: Scope): Value {
  return evaluate(parseValue(value), scope);
}

export function evaluate(expr: Expr, scope: Scope, depth = 0): Value {
  if (depth > 20) throw new ExpressionError('variables refer to each other in a loop');
  if (expr.kind === 'string' || expr.kind === 'number') return expr.value;
  const fn = expr.name.toLowerCase();
  const args = (): Value[] => expr.args.map((arg) => evaluate(arg, scope, depth + 1));
  let value: Value;
  switch (fn) {
    case 'parameters': {
      const name = text(args()[0] ?? '');
      const definition = scope.parameters[name] as { defaultValue?: unknown } | undefined;
      const fallback = definition?.defaultValue;
      const given = scope.parameterValues?.[name];
      value =
        given !== undefined
          ? given
          : scope.parameterDefaults === true && fallback !== undefined && !containsExpression(fallback)
            ? (fallback as Value)
            : `⟨p:${name}⟩`;
      break;
    }
    case 'if': {
      // Like ARM, only the branch the condition picks is evaluated (a reference() to a resource
      // that is not deployed may sit in the other one).
      const [conditionExpr, whenTrue, whenFalse] = expr.args;
      if (conditionExpr === undefined || whenTrue === undefined || whenFalse === undefined) {
        throw new ExpressionError('if() takes a condition and two values');
      }
      const condition = evaluate(conditionExpr, scope, depth + 1);
      value =
        typeof condition === 'boolean'
          ? evaluate(condition ? whenTrue : whenFalse, scope, depth + 1)
          : symbolic(fn, [condition]);
      break;
    }
    case 'equals': {
      const [a, b] = args();
      const known = (v: Value | undefined): boolean => v !== undefined && !text(v).includes('⟨');
      value = known(a) && known(b) ? text(a ?? '') === text(b ?? '') : symbolic(fn, [a ?? '', b ?? '']);
      break;
    }
    case 'not': {
      const [arg] = args();
      value = typeof arg === 'boolean' ? !arg : symbolic(fn, [arg ?? '']);
      break;
    }
    case 'variables': {
      const name = text(args()[0] ?? '');
      if (!(name in scope.variables)) throw new ExpressionError(`variables('${name}') is not defined`);
      value = evaluateJson(scope.variables[name], scope, depth + 1);
      break;
    }
    case 'concat': {
      const parts = args();
      value = parts.every(Array.isArray) ? (parts as Value[][]).flat() : parts.map(text).join('');
      break;
    }
    case 'format': {
      const [pattern, ...rest] = args();
      value = text(pattern ?? '').replace(/\{(\d+)(:[^}]*)?\}/g, (_m, i: string) =>
        text(rest[Number(i)] ?? ''),
      );
      break;
    }
    case 'string': {
      const [arg] = args();
      value = typeof arg === 'string' ? arg : text(arg ?? '');
      break;
    }
    case 'tolower':
    case 'toupper': {
      const [arg] = args();
      value =
        typeof arg === 'string' && !arg.includes('⟨')
          ? fn === 'tolower'
            ? arg.toLowerCase()
            : arg.toUpperCase()
          : symbolic(fn, args());
      break;
    }
    default: {
      if (ID_FUNCTIONS.has(fn)) {
        const ref = resourceRef({ ...expr, accessors: [] }, scope);
        value = `${ID_PREFIX}${ref?.type ?? ''}|${ref?.name ?? ''}⟩`;
      } else {
        value = symbolic(fn, args());
      }
    }
  }
  return applyAccessors(value, expr.accessors, scope, depth);
}

function symbolic(fn: string, args: readonly Value[]): string {
  return `⟨${fn}(${args.map(text).join(',')})⟩`;
}

function applyAccessors(value: Value, accessors: readonly Accessor[], scope: Scope, depth: number): Value {
  let current = value;
  for (const accessor of accessors) {
    const key =
      accessor.kind === 'property' ? accessor.name : text(evaluate(accessor.expr, scope, depth + 1));
    if (current !== null && typeof current === 'object' && !Array.isArray(current) && key in current) {
      current = (current as Record<string, Value>)[key] ?? null;
    } else if (Array.isArray(current) && /^\d+$/.test(key)) {
      current = (current as Value[])[Number(key)] ?? null;
    } else {
      current = `${text(current)}.${key}`;
    }
  }
  return current;
}

/** Evaluates every string inside a JSON value (variables can be objects of expressions). */
export function evaluateJson(json: unknown, scope: Scope, depth = 0): Value {
  if (typeof json === 'string') return evaluate(parseValue(json), scope, depth);
  if (Array.isArray(json)) return json.map((item) => evaluateJson(item, scope, depth));
  if (json !== null && typeof json === 'object') {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, evaluateJson(v, scope, depth)]));
  }
  return json as Value;
}

function containsExpression(json: unknown): boolean {
  if (typeof json === 'string') return isExpression(json);
  if (Array.isArray(json)) return json.some(containsExpression);
  if (json !== null && typeof json === 'object') return Object.values(json).some(containsExpression);
  return false;
}
