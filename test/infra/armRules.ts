// Our own rules for the ARM templates under infra/ (no Bicep compiler or Azure needed).
// Each finding names its rule and where in the template it is, so a failing test says what to fix.
import {
  ExpressionError,
  calls,
  evaluateString,
  isExpression,
  parseValue,
  refFromValue,
  resourceRef,
  text,
  type Expr,
  type ResourceRef,
  type Scope,
  type Value,
} from './armExpression.js';

export const Rule = {
  /** Every resource has a type, an apiVersion (a date) and a name. */
  resourceFields: 'resource-fields',
  /** Every dependsOn and resourceId(...) points at a resource of this template or a declared existing one. */
  referenceResolves: 'reference-resolves',
  /** Outputs land in the deployment history: no list*() calls, keys, connection strings, secure types. */
  noSecretOutputs: 'no-secret-outputs',
  /** Role assignments: named guid(...), scoped to a resource (never the subscription or resource group), commented with the role. */
  roleAssignment: 'role-assignment',
  /** Nested templates evaluate their own expressions (scope inner), so their references are checkable. */
  nestedInnerScope: 'nested-inner-scope',
  /** ARM refuses reference() and list*() in variables. */
  variablesAreStatic: 'variables-are-static',
  /** Every expression parses. */
  expressionSyntax: 'expression-syntax',
} as const;
export type Rule = (typeof Rule)[keyof typeof Rule];

export interface Finding {
  readonly rule: Rule;
  readonly path: string;
  readonly message: string;
}

/**
 * Built-in roles the templates may grant, by id: a role assignment's comment must name its role.
 * Ids as listed in Microsoft Learn's "Azure built-in roles" (MicrosoftDocs/azure-docs
 * articles/role-based-access-control/built-in-roles.md); see docs/azure-facts.md.
 */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '43d0d8ad-25c7-4714-9337-8ba259a9fe05': 'Monitoring Reader',
  'f6c7c914-8db3-469d-8ca1-694a8f32e121': 'AzureML Data Scientist',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '0ad04412-c4d5-4796-b79c-f76d14c8d402': 'Durable Task Data Contributor',
  'd5a91429-5739-47e2-a06b-3470a27159e7': 'EventGrid Data Sender',
};

const ROLE_DEFINITIONS = 'microsoft.authorization/roledefinitions';
const ROLE_ASSIGNMENTS = 'microsoft.authorization/roleassignments';
const DEPLOYMENTS = 'microsoft.resources/deployments';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const SECRET_WORD = /key|secret|password|connectionstring|sas|token|credential/i;

type Json = Record<string, unknown>;

/** A resource of a template, with child resources flattened to their full type and name. */
export interface FlatResource {
  readonly path: string;
  readonly type: string;
  readonly name: string;
  readonly body: Json;
}

interface TemplateContext {
  readonly path: string;
  readonly template: Json;
  readonly scope: Scope;
  readonly resources: readonly FlatResource[];
  /** type|name keys (lower case) of resources declared here. */
  readonly declared: ReadonlySet<string>;
  /** type|name keys of resources the template says exist already (metadata.existingResources). */
  readonly existing: ReadonlySet<string>;
}

function key(ref: ResourceRef): string {
  return `${ref.type}|${ref.name}`.toLowerCase();
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function scopeOf(template: Json): Scope {
  return { parameters: asObject(template.parameters), variables: asObject(template.variables) };
}

/** Resources of a template (not of its nested templates), children flattened. */
export function flattenResources(template: Json, path = '$'): FlatResource[] {
  const scope = scopeOf(template);
  const out: FlatResource[] = [];
  const visit = (list: unknown, base: string, parent?: { type: string; name: string }): void => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => {
      const body = asObject(item);
      const here = `${base}[${i}]`;
      const rawType = typeof body.type === 'string' ? body.type : '';
      const rawName = typeof body.name === 'string' ? safeText(body.name, scope) : '';
      const short = parent !== undefined && !rawType.includes('/');
      const type = short ? `${parent.type}/${rawType}` : rawType;
      const name = short ? `${parent.name}/${rawName}` : rawName;
      out.push({ path: here, type, name, body });
      visit(body.resources, `${here}.resources`, { type, name });
    });
  };
  visit(template.resources, `${path}.resources`);
  return out;
}

function safeText(value: string, scope: Scope): string {
  try {
    return text(evaluateString(value, scope));
  } catch {
    return value;
  }
}

function contextOf(template: Json, path: string): TemplateContext {
  const scope = scopeOf(template);
  const resources = flattenResources(template, path);
  const existingList = asObject(template.metadata).existingResources;
  const existing = new Set<string>();
  if (Array.isArray(existingList)) {
    for (const entry of existingList) {
      const e = asObject(entry);
      if (typeof e.type === 'string' && typeof e.name === 'string') {
        existing.add(key({ type: e.type, name: safeText(e.name, scope) }));
      }
    }
  }
  return {
    path,
    template,
    scope,
    resources,
    declared: new Set(resources.map((r) => key(r))),
    existing,
  };
}

/** Runs every rule on a template and on each nested template. */
export function checkTemplate(template: unknown, path = '$'): Finding[] {
  const root = asObject(template);
  const ctx = contextOf(root, path);
  const findings: Finding[] = [];
  checkResourceFields(ctx, findings);
  checkExpressions(ctx, findings);
  checkVariables(ctx, findings);
  checkDependsOn(ctx, findings);
  checkOutputs(ctx, findings);
  checkRoleAssignments(ctx, findings);
  for (const resource of ctx.resources) {
    if (resource.type.toLowerCase() !== DEPLOYMENTS) continue;
    const properties = asObject(resource.body.properties);
    if (properties.template === undefined) continue;
    const options = asObject(properties.expressionEvaluationOptions);
    if ((typeof options.scope === 'string' ? options.scope.toLowerCase() : '') !== 'inner') {
      findings.push({
        rule: Rule.nestedInnerScope,
        path: `${resource.path}.properties.expressionEvaluationOptions`,
        message: `nested deployment '${resource.name}' must set expressionEvaluationOptions.scope to 'inner' and pass what it needs as parameters`,
      });
      continue;
    }
    findings.push(...checkTemplate(properties.template, `${resource.path}.properties.template`));
  }
  return findings;
}

function checkResourceFields(ctx: TemplateContext, findings: Finding[]): void {
  for (const resource of ctx.resources) {
    for (const field of ['type', 'apiVersion', 'name'] as const) {
      const value = resource.body[field];
      if (typeof value !== 'string' || value.trim() === '') {
        findings.push({
          rule: Rule.resourceFields,
          path: resource.path,
          message: `resource has no '${field}'`,
        });
      }
    }
    const apiVersion = resource.body.apiVersion;
    if (typeof apiVersion === 'string' && !API_VERSION.test(apiVersion)) {
      findings.push({
        rule: Rule.resourceFields,
        path: `${resource.path}.apiVersion`,
        message: `apiVersion '${apiVersion}' is not a yyyy-mm-dd[-preview] version`,
      });
    }
  }
}

/** Every string of the template outside nested templates, with its path. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const isNestedTemplate = k === 'template' && path.endsWith('.properties');
      if (!isNestedTemplate) yield* strings(v, `${path}.${k}`);
      // Object keys can be expressions too (userAssignedIdentities).
      if (isExpression(k)) yield [`${path}.${k}`, k];
    }
  }
}

function parsed(ctx: TemplateContext, path: string, value: string, findings: Finding[]): Expr | undefined {
  try {
    return parseValue(value);
  } catch (error) {
    findings.push({ rule: Rule.expressionSyntax, path, message: (error as Error).message });
    return undefined;
  }
}

function checkExpressions(ctx: TemplateContext, findings: Finding[]): void {
  const { metadata: _metadata, ...rest } = ctx.template;
  for (const [path, value] of strings(rest, ctx.path)) {
    if (!isExpression(value)) continue;
    const expr = parsed(ctx, path, value, findings);
    if (expr === undefined) continue;
    for (const call of calls(expr)) {
      let ref: ResourceRef | undefined;
      try {
        ref = resourceRef(call, ctx.scope);
      } catch (error) {
        findings.push({ rule: Rule.referenceResolves, path, message: (error as Error).message });
        continue;
      }
      if (ref === undefined || resolves(ctx, ref)) continue;
      findings.push({
        rule: Rule.referenceResolves,
        path,
        message: `${call.name}(...) points at ${ref.type} '${ref.name}', which this template neither declares nor lists in metadata.existingResources`,
      });
    }
  }
}

function resolves(ctx: TemplateContext, ref: ResourceRef): boolean {
  const k = key(ref);
  if (ctx.declared.has(k) || ctx.existing.has(k)) return true;
  // Built-in role definitions exist in every subscription: a literal GUID is enough.
  return ref.type.toLowerCase() === ROLE_DEFINITIONS && GUID.test(ref.name);
}

function checkVariables(ctx: TemplateContext, findings: Finding[]): void {
  for (const [path, value] of strings(asObject(ctx.template.variables), `${ctx.path}.variables`)) {
    if (!isExpression(value)) continue;
    const expr = parsed(ctx, path, value, findings);
    if (expr === undefined) continue;
    for (const call of calls(expr)) {
      const fn = call.name.toLowerCase();
      if (fn === 'reference' || fn.startsWith('list')) {
        findings.push({
          rule: Rule.variablesAreStatic,
          path,
          message: `${call.name}() is not allowed in variables (ARM evaluates variables before deploying); inline it where it is used`,
        });
      }
    }
  }
}

function checkDependsOn(ctx: TemplateContext, findings: Finding[]): void {
  for (const resource of ctx.resources) {
    const dependsOn = resource.body.dependsOn;
    if (dependsOn === undefined) continue;
    if (!Array.isArray(dependsOn)) {
      findings.push({
        rule: Rule.referenceResolves,
        path: `${resource.path}.dependsOn`,
        message: 'dependsOn must be a list',
      });
      continue;
    }
    dependsOn.forEach((entry, i) => {
      const path = `${resource.path}.dependsOn[${i}]`;
      if (typeof entry !== 'string') {
        findings.push({ rule: Rule.referenceResolves, path, message: 'dependsOn entries must be strings' });
        return;
      }
      let target: ResourceRef | undefined;
      try {
        const value = evaluateString(entry, ctx.scope);
        target = refFromValue(value) ?? byName(ctx, text(value));
      } catch (error) {
        findings.push({ rule: Rule.expressionSyntax, path, message: (error as Error).message });
        return;
      }
      // dependsOn can only name resources deployed by this template (ARM rejects the rest).
      if (target === undefined || !ctx.declared.has(key(target))) {
        findings.push({
          rule: Rule.referenceResolves,
          path,
          message: `dependsOn '${entry}' is not a resource of this template`,
        });
      }
    });
  }
}

/** dependsOn also accepts a plain resource name, or 'Type/name'. */
function byName(ctx: TemplateContext, name: string): ResourceRef | undefined {
  const lower = name.toLowerCase();
  return ctx.resources.find(
    (r) => r.name.toLowerCase() === lower || `${r.type}/${r.name}`.toLowerCase() === lower,
  );
}

function checkOutputs(ctx: TemplateContext, findings: Finding[]): void {
  for (const [name, raw] of Object.entries(asObject(ctx.template.outputs))) {
    const output = asObject(raw);
    const path = `${ctx.path}.outputs.${name}`;
    const flag = (message: string): void => {
      findings.push({ rule: Rule.noSecretOutputs, path, message: `output '${name}' ${message}` });
    };
    if (SECRET_WORD.test(name)) flag('is named like a secret');
    if (typeof output.type === 'string' && /^secure/i.test(output.type))
      flag('has a secure type: outputs are kept in deployment history');
    for (const [valuePath, value] of strings(output.value, `${path}.value`)) {
      if (!isExpression(value)) {
        if (/AccountKey=|SharedAccessSignature|sig=/i.test(value)) flag('holds a literal key or SAS');
        continue;
      }
      const expr = parsed(ctx, valuePath, value, findings);
      if (expr === undefined) continue;
      for (const call of calls(expr)) {
        if (call.name.toLowerCase().startsWith('list')) flag(`calls ${call.name}(), which returns secrets`);
        for (const accessor of call.accessors) {
          if (accessor.kind === 'property' && SECRET_WORD.test(accessor.name)) {
            flag(`reads '.${accessor.name}', which looks like a secret`);
          }
        }
      }
    }
  }
}

function isRoleAssignment(type: string): boolean {
  const lower = type.toLowerCase();
  return lower === ROLE_ASSIGNMENTS || lower.endsWith('/providers/roleassignments');
}

function checkRoleAssignments(ctx: TemplateContext, findings: Finding[]): void {
  for (const resource of ctx.resources) {
    if (!isRoleAssignment(resource.type)) continue;
    const flag = (message: string, where = resource.path): void => {
      findings.push({
        rule: Rule.roleAssignment,
        path: where,
        message: `role assignment '${resource.name}' ${message}`,
      });
    };
    const rawName = typeof resource.body.name === 'string' ? resource.body.name : '';
    const nameExpr = isExpression(rawName)
      ? parsed(ctx, `${resource.path}.name`, rawName, findings)
      : undefined;
    const guidNamed =
      nameExpr?.kind === 'call' &&
      (nameExpr.name.toLowerCase() === 'guid' ||
        [...calls(nameExpr)].some((c) => c.name.toLowerCase() === 'guid'));
    if (!guidNamed)
      flag(
        'must be named with guid(...) of its scope, principal and role, so redeploying finds the same one',
      );

    const isChildForm = resource.type.toLowerCase() !== ROLE_ASSIGNMENTS;
    if (!isChildForm) checkAssignmentScope(ctx, resource, flag);

    const comments = typeof resource.body.comments === 'string' ? resource.body.comments : '';
    if (comments.trim() === '') {
      flag('has no comments naming the role and why it is needed');
      continue;
    }
    const roleName = roleNameOf(ctx, resource);
    if (roleName === undefined) {
      flag(
        'grants a role this checker does not know: add it to BUILT_IN_ROLES, or declare the custom role in the template',
      );
    } else if (!comments.toLowerCase().includes(roleName.toLowerCase())) {
      flag(`comments do not name its role '${roleName}'`, `${resource.path}.comments`);
    }
  }
}

function checkAssignmentScope(
  ctx: TemplateContext,
  resource: FlatResource,
  flag: (m: string, w?: string) => void,
): void {
  const scopeRaw = resource.body.scope;
  const where = `${resource.path}.scope`;
  if (typeof scopeRaw !== 'string' || scopeRaw.trim() === '') {
    flag('has no scope: it would apply to the whole resource group or subscription; scope it to a resource');
    return;
  }
  let value: Value;
  try {
    value = evaluateString(scopeRaw, ctx.scope);
  } catch (error) {
    flag(`has a scope that does not parse: ${(error as Error).message}`, where);
    return;
  }
  const ref = refFromValue(value) ?? (isExpression(scopeRaw) ? undefined : byName(ctx, scopeRaw));
  if (ref !== undefined) return;
  const scopeText = text(value).toLowerCase();
  if (
    /^(⟨subscription\(\)⟩|⟨resourcegroup\(\)⟩|\/subscriptions\/[^/]*(\/resourcegroups\/[^/]*)?\/?$)/.test(
      scopeText,
    )
  ) {
    flag('is scoped to the subscription or resource group; scope it to a resource', where);
  } else {
    flag('scope must be a resource: resourceId(...) or a resource of this template', where);
  }
}

function roleNameOf(ctx: TemplateContext, resource: FlatResource): string | undefined {
  const raw = asObject(resource.body.properties).roleDefinitionId;
  if (typeof raw !== 'string') return undefined;
  let ref: ResourceRef | undefined;
  try {
    ref = refFromValue(evaluateString(raw, ctx.scope));
  } catch (error) {
    if (error instanceof ExpressionError) return undefined;
    throw error;
  }
  if (ref === undefined) return undefined;
  const builtIn = BUILT_IN_ROLES[ref.name.toLowerCase()];
  if (builtIn !== undefined) return builtIn;
  const custom = ctx.resources.find(
    (r) => r.type.toLowerCase() === ROLE_DEFINITIONS && r.name.toLowerCase() === ref.name.toLowerCase(),
  );
  const roleName = asObject(custom?.body.properties).roleName;
  if (typeof roleName !== 'string') return undefined;
  // A custom role's name may carry a placeholder suffix (e.g. its resource group): compare the fixed part.
  return safeText(roleName, ctx.scope)
    .split('⟨')[0]
    ?.replace(/[\s(]+$/, '');
}

/** An Event Grid subscription and the function it delivers to. */
export interface EventBinding {
  readonly path: string;
  readonly subscription: string;
  readonly functionName: string | undefined;
  readonly endpoint: string;
  readonly eventTypes: readonly string[];
  readonly subjectBeginsWith: string | undefined;
}

/** Every Event Grid subscription of a template, nested templates included. */
export function eventBindings(template: unknown, path = '$'): EventBinding[] {
  const root = asObject(template);
  const scope = scopeOf(root);
  const out: EventBinding[] = [];
  for (const resource of flattenResources(root, path)) {
    const type = resource.type.toLowerCase();
    const properties = asObject(resource.body.properties);
    if (type === DEPLOYMENTS && properties.template !== undefined) {
      out.push(...eventBindings(properties.template, `${resource.path}.properties.template`));
      continue;
    }
    if (!type.startsWith('microsoft.eventgrid/') || !type.endsWith('/eventsubscriptions')) continue;
    const destination = asObject(properties.destination);
    const destinationProperties = asObject(destination.properties);
    const endpointType = typeof destination.endpointType === 'string' ? destination.endpointType : '';
    let endpoint = '';
    let functionName: string | undefined;
    if (endpointType === 'WebHook' && typeof destinationProperties.endpointUrl === 'string') {
      endpoint = text(evaluateString(destinationProperties.endpointUrl, scope));
      functionName = /[?&]functionName=([^&]+)/.exec(endpoint)?.[1];
    } else if (endpointType === 'AzureFunction' && typeof destinationProperties.resourceId === 'string') {
      const ref = refFromValue(evaluateString(destinationProperties.resourceId, scope));
      endpoint = ref === undefined ? '' : `${ref.type}/${ref.name}`;
      functionName = ref?.name.split('/').pop();
    }
    const filter = asObject(properties.filter);
    const included = Array.isArray(filter.includedEventTypes) ? filter.includedEventTypes.map(String) : [];
    out.push({
      path: resource.path,
      subscription: resource.name,
      functionName,
      endpoint,
      eventTypes: included,
      subjectBeginsWith:
        typeof filter.subjectBeginsWith === 'string'
          ? text(evaluateString(filter.subjectBeginsWith, scope))
          : undefined,
    });
  }
  return out;
}

const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid?';

/**
 * Problems between the subscriptions and the functions' handled event types: each Event
 * Grid-triggered function has exactly one subscription, with exactly the types it handles.
 */
export function bindingProblems(
  bindings: readonly EventBinding[],
  handled: Readonly<Record<string, readonly string[]>>,
): string[] {
  const problems: string[] = [];
  for (const binding of bindings) {
    const fn = binding.functionName;
    if (fn === undefined) {
      problems.push(`${binding.subscription}: endpoint '${binding.endpoint}' names no function`);
      continue;
    }
    if (binding.endpoint.startsWith('https://') && !binding.endpoint.includes(EVENT_GRID_WEBHOOK_PATH)) {
      problems.push(
        `${binding.subscription}: webhook is not the Event Grid extension's (${EVENT_GRID_WEBHOOK_PATH})`,
      );
    }
    const expected = handled[fn];
    if (expected === undefined) {
      problems.push(`${binding.subscription}: delivers to '${fn}', which handles no Event Grid events`);
      continue;
    }
    const got = [...binding.eventTypes].sort();
    const want = [...expected].sort();
    if (got.join('\n') !== want.join('\n')) {
      problems.push(
        `${binding.subscription}: event types [${got.join(', ')}] but ${fn} handles [${want.join(', ')}]`,
      );
    }
  }
  for (const fn of Object.keys(handled)) {
    const count = bindings.filter((b) => b.functionName === fn).length;
    if (count !== 1) problems.push(`${fn}: ${count} event subscriptions deliver to it (expected 1)`);
  }
  return problems;
}
