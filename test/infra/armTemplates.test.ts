import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Rule, checkTemplate, type Finding } from './armRules.js';

const infraDir = new URL('../../infra/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, infraDir), 'utf8'));

const templateFiles = readdirSync(infraDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.parameters.json'))
  .sort();

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validateSchema = ajv.compile(readJson('schema/arm-template.schema.json') as object);

/** A template and every template nested in it (they follow the same schema). */
function withNested(template: unknown, path = '$'): [string, unknown][] {
  const out: [string, unknown][] = [[path, template]];
  const resources = (template as { resources?: unknown[] }).resources ?? [];
  resources.forEach((r, i) => {
    const inner = (r as { properties?: { template?: unknown } }).properties?.template;
    if (inner !== undefined) out.push(...withNested(inner, `${path}.resources[${i}].properties.template`));
  });
  return out;
}

function schemaErrors(template: unknown): string[] {
  return validateSchema(template)
    ? []
    : (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

describe('the templates under infra/', () => {
  it('are the stage templates deploy.sh uses', () => {
    expect(templateFiles).toEqual(['events.json', 'main.json']);
  });

  it.each(templateFiles)('%s (and its nested templates) match the ARM template schema', (file) => {
    for (const [path, template] of withNested(readJson(file))) {
      expect({ path, errors: schemaErrors(template) }).toEqual({ path, errors: [] });
    }
  });

  it.each(templateFiles)('%s follows our rules', (file) => {
    expect(checkTemplate(readJson(file))).toEqual([]);
  });

  it('main.parameters.json sets only parameters main.json has, and every one it requires', () => {
    const template = readJson('main.json') as { parameters: Record<string, { defaultValue?: unknown }> };
    const example = readJson('main.parameters.json') as {
      $schema: string;
      parameters: Record<string, unknown>;
    };
    expect(example.$schema).toMatch(/deploymentParameters\.json#$/);
    const declared = Object.keys(template.parameters);
    const required = declared.filter((p) => template.parameters[p]?.defaultValue === undefined);
    expect(Object.keys(example.parameters).filter((p) => !declared.includes(p))).toEqual([]);
    expect(required.filter((p) => !(p in example.parameters))).toEqual([]);
  });

  it('main.parameters.json gives each parameter a value of its declared type', () => {
    const template = readJson('main.json') as {
      parameters: Record<string, { type: string; allowedValues?: unknown[] }>;
    };
    const example = readJson('main.parameters.json') as { parameters: Record<string, { value?: unknown }> };
    const jsType: Record<string, string> = {
      string: 'string',
      securestring: 'string',
      int: 'number',
      bool: 'boolean',
    };
    const wrong = Object.entries(example.parameters).flatMap(([name, { value }]) => {
      const declared = template.parameters[name];
      if (declared === undefined) return [];
      const expected = jsType[declared.type] ?? 'object';
      const problems =
        typeof value === expected ? [] : [`${name}: ${typeof value}, expected ${declared.type}`];
      if (declared.allowedValues !== undefined && !declared.allowedValues.includes(value)) {
        problems.push(`${name}: not one of its allowed values`);
      }
      return problems;
    });
    expect(wrong).toEqual([]);
  });
});

interface Resource {
  type: string;
  name: string;
  kind?: string;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
  properties?: Record<string, unknown>;
}

describe('main.json security posture', () => {
  const resources = (readJson('main.json') as { resources: Resource[] }).resources;
  const ofType = (type: string): Resource[] => resources.filter((r) => r.type === type);
  const site = ofType('Microsoft.Web/sites')[0];
  const appIdentityId =
    "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('appIdentityName'))]";
  const appClientId = `[reference(${appIdentityId.slice(1, -1)}, '2023-01-31').clientId]`;

  it('keeps storage identity-only and private', () => {
    const [account] = ofType('Microsoft.Storage/storageAccounts');
    expect(account?.properties).toMatchObject({
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
    });
    const containers = ofType('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers).toHaveLength(3);
    for (const container of containers) expect(container.properties?.publicAccess).toBe('None');
  });

  it('runs the app on Flex Consumption, Node 22, HTTPS only, without publishing passwords', () => {
    expect(ofType('Microsoft.Web/serverfarms')[0]).toMatchObject({
      sku: { name: 'FC1', tier: 'FlexConsumption' },
    });
    expect(site?.properties).toMatchObject({
      httpsOnly: true,
      functionAppConfig: { runtime: { name: 'node', version: '22' } },
    });
    const policies = ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => p.properties?.allow)).toEqual([false, false]);
  });

  it('has the app authenticate as its one user-assigned identity everywhere', () => {
    expect(site?.identity?.type).toBe('UserAssigned');
    expect(Object.keys(site?.identity?.userAssignedIdentities ?? {})).toEqual([appIdentityId]);
    const settings = (site?.properties?.siteConfig as { appSettings: { name: string; value: string }[] })
      .appSettings;
    const value = (name: string): string | undefined => settings.find((s) => s.name === name)?.value;
    expect(value('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(value('AzureWebJobsStorage__clientId')).toBe(appClientId);
    expect(value('AZURE_CLIENT_ID')).toBe(appClientId);
    expect(value('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toContain(appClientId.slice(1, -1));
    const deployment = (
      site?.properties?.functionAppConfig as { deployment: { storage: { authentication: unknown } } }
    ).deployment.storage.authentication;
    expect(deployment).toEqual({
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: appIdentityId,
    });
  });

  it('turns Application Insights local (key) auth off', () => {
    expect(ofType('Microsoft.Insights/components')[0]?.properties?.DisableLocalAuth).toBe(true);
  });
});

// The smallest template that passes every rule; each test below breaks it in one way.
const STORAGE_ID = "resourceId('Microsoft.Storage/storageAccounts', parameters('name'))";
const IDENTITY_ID = "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-app')";
const BLOB_OWNER = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';

interface Template {
  $schema: string;
  contentVersion: string;
  metadata?: Record<string, unknown>;
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  resources: Record<string, unknown>[];
  outputs: Record<string, Record<string, unknown>>;
}

function good(): Template {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { name: { type: 'string' } },
    variables: { prefix: "[format('{0}-x', parameters('name'))]" },
    resources: [
      {
        type: 'Microsoft.Storage/storageAccounts',
        apiVersion: '2023-05-01',
        name: "[parameters('name')]",
        location: 'westeurope',
      },
      {
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        apiVersion: '2023-01-31',
        name: 'id-app',
        location: 'westeurope',
      },
      {
        type: 'Microsoft.Authorization/roleAssignments',
        apiVersion: '2022-04-01',
        name: `[guid(${STORAGE_ID}, 'id-app', '${BLOB_OWNER}')]`,
        scope: `[${STORAGE_ID}]`,
        dependsOn: [`[${STORAGE_ID}]`, `[${IDENTITY_ID}]`],
        comments: 'Storage Blob Data Owner: the host keeps its leases in blobs.',
        properties: {
          roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${BLOB_OWNER}')]`,
          principalId: `[reference(${IDENTITY_ID}, '2023-01-31').principalId]`,
        },
      },
    ],
    outputs: { storageName: { type: 'string', value: "[parameters('name')]" } },
  };
}

function roleAssignment(t: Template): Record<string, unknown> {
  const found = t.resources.find((r) => r.type === 'Microsoft.Authorization/roleAssignments');
  if (found === undefined) throw new Error('fixture has no role assignment');
  return found;
}

const rulesOf = (findings: Finding[]): string[] => [...new Set(findings.map((f) => f.rule))];

describe('checkTemplate', () => {
  it('passes the well-formed fixture, which also matches the schema', () => {
    expect(checkTemplate(good())).toEqual([]);
    expect(schemaErrors(good())).toEqual([]);
  });

  it('fails a resource without an apiVersion (and so does the schema)', () => {
    const t = good();
    delete t.resources[0]?.apiVersion;
    expect(checkTemplate(t)).toEqual([
      { rule: Rule.resourceFields, path: '$.resources[0]', message: "resource has no 'apiVersion'" },
    ]);
    expect(schemaErrors(t)).toContain("/resources/0 must have required property 'apiVersion'");
  });

  it('fails a resource without a name or a type', () => {
    const t = good();
    delete t.resources[1]?.name;
    delete t.resources[0]?.type;
    expect(checkTemplate(t).filter((f) => f.rule === Rule.resourceFields)).toEqual([
      { rule: Rule.resourceFields, path: '$.resources[0]', message: "resource has no 'type'" },
      { rule: Rule.resourceFields, path: '$.resources[1]', message: "resource has no 'name'" },
    ]);
  });

  it('fails an apiVersion that is not a version', () => {
    const t = good();
    t.resources[0]!.apiVersion = 'latest';
    expect(rulesOf(checkTemplate(t))).toEqual([Rule.resourceFields]);
  });

  it('fails a dependsOn that names no resource of the template', () => {
    const t = good();
    roleAssignment(t).dependsOn = [`[resourceId('Microsoft.Storage/storageAccounts', 'other')]`];
    const findings = checkTemplate(t);
    expect(findings.map((f) => [f.rule, f.path])).toEqual([
      [Rule.referenceResolves, '$.resources[2].dependsOn[0]'],
      [Rule.referenceResolves, '$.resources[2].dependsOn[0]'],
    ]);
  });

  it('fails a dependsOn on a resource the template only says exists (ARM cannot wait for it)', () => {
    const t = good();
    t.metadata = { existingResources: [{ type: 'Microsoft.Web/sites', name: 'app' }] };
    roleAssignment(t).dependsOn = ["[resourceId('Microsoft.Web/sites', 'app')]"];
    expect(checkTemplate(t)).toEqual([
      {
        rule: Rule.referenceResolves,
        path: '$.resources[2].dependsOn[0]',
        message: `dependsOn '[resourceId('Microsoft.Web/sites', 'app')]' is not a resource of this template`,
      },
    ]);
  });

  it('fails a resourceId(...) to an undeclared resource, and passes it once declared as existing', () => {
    const t = good();
    t.outputs.appHost = {
      type: 'string',
      value:
        "[reference(resourceId('Microsoft.Web/sites', parameters('name')), '2024-04-01').defaultHostName]",
    };
    expect(checkTemplate(t)).toEqual([
      {
        rule: Rule.referenceResolves,
        path: '$.outputs.appHost.value',
        message:
          "resourceId(...) points at Microsoft.Web/sites '⟨p:name⟩', which this template neither declares nor lists in metadata.existingResources",
      },
    ]);
    t.metadata = { existingResources: [{ type: 'Microsoft.Web/sites', name: "[parameters('name')]" }] };
    expect(checkTemplate(t)).toEqual([]);
  });

  it('matches child resource ids by every name segment', () => {
    const t = good();
    t.resources.push({
      type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
      apiVersion: '2023-05-01',
      name: "[format('{0}/default/{1}', parameters('name'), 'data')]",
    });
    t.outputs.containerId = {
      type: 'string',
      value:
        "[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('name'), 'default', 'data')]",
    };
    expect(checkTemplate(t)).toEqual([]);
    t.outputs.containerId.value =
      "[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('name'), 'default', 'other')]";
    expect(rulesOf(checkTemplate(t))).toEqual([Rule.referenceResolves]);
  });

  it('fails an output that calls listKeys', () => {
    const t = good();
    t.outputs.storageName!.value = `[listKeys(${STORAGE_ID}, '2023-05-01').keys[0].value]`;
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      "output 'storageName' calls listKeys(), which returns secrets",
      "output 'storageName' reads '.keys', which looks like a secret",
    ]);
  });

  it('fails an output that reads a connection string, is named like a secret, or is secure', () => {
    const t = good();
    t.outputs = {
      insights: { type: 'string', value: `[reference(${STORAGE_ID}, '2020-02-02').ConnectionString]` },
      storageKey: { type: 'string', value: "[parameters('name')]" },
      hidden: { type: 'securestring', value: "[parameters('name')]" },
    };
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      "output 'insights' reads '.ConnectionString', which looks like a secret",
      "output 'storageKey' is named like a secret",
      "output 'hidden' has a secure type: outputs are kept in deployment history",
    ]);
    expect(rulesOf(checkTemplate(t))).toEqual([Rule.noSecretOutputs]);
  });

  it('fails a role assignment not named with guid(...)', () => {
    const t = good();
    roleAssignment(t).name = 'blob-owner';
    expect(checkTemplate(t).map((f) => [f.rule, f.message])).toEqual([
      [
        Rule.roleAssignment,
        "role assignment 'blob-owner' must be named with guid(...) of its scope, principal and role, so redeploying finds the same one",
      ],
    ]);
  });

  it('fails a role assignment without a scope', () => {
    const t = good();
    delete roleAssignment(t).scope;
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      expect.stringMatching(/has no scope: it would apply to the whole resource group or subscription/),
    ]);
  });

  it('fails a role assignment scoped to the subscription or the resource group', () => {
    for (const scope of ['[subscription().id]', '[resourceGroup().id]', '/subscriptions/0000']) {
      const t = good();
      roleAssignment(t).scope = scope;
      expect(checkTemplate(t).map((f) => f.message)).toEqual([
        expect.stringMatching(/is scoped to the subscription or resource group; scope it to a resource$/),
      ]);
    }
  });

  it('fails a role assignment whose comments are missing or do not name its role', () => {
    const t = good();
    roleAssignment(t).comments = 'Lets the host keep its leases.';
    expect(checkTemplate(t).map((f) => [f.rule, f.path, f.message])).toEqual([
      [
        Rule.roleAssignment,
        '$.resources[2].comments',
        expect.stringMatching(/comments do not name its role 'Storage Blob Data Owner'$/),
      ],
    ]);
    delete roleAssignment(t).comments;
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      expect.stringMatching(/has no comments naming the role and why it is needed$/),
    ]);
  });

  it('fails a role assignment to an unknown built-in role, and accepts a custom role named in the comments', () => {
    const t = good();
    const assignment = roleAssignment(t);
    (assignment.properties as Record<string, unknown>).roleDefinitionId =
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '11111111-2222-3333-4444-555555555555')]";
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      expect.stringMatching(/grants a role this checker does not know/),
    ]);

    t.resources.push({
      type: 'Microsoft.Authorization/roleDefinitions',
      apiVersion: '2022-04-01',
      name: "[guid(resourceGroup().id, 'custom')]",
      properties: { roleName: "[format('my app role ({0})', resourceGroup().name)]" },
    });
    (assignment.properties as Record<string, unknown>).roleDefinitionId =
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guid(resourceGroup().id, 'custom'))]";
    expect(checkTemplate(t).map((f) => f.message)).toEqual([
      expect.stringMatching(/comments do not name its role 'my app role'$/),
    ]);
    assignment.comments = "Custom role 'my app role': what the app does, no more.";
    expect(checkTemplate(t)).toEqual([]);
  });

  it('fails reference() or list*() in variables', () => {
    const t = good();
    t.variables.host = `[reference(${STORAGE_ID}, '2023-05-01').primaryEndpoints.blob]`;
    expect(checkTemplate(t).map((f) => [f.rule, f.path])).toEqual([
      [Rule.variablesAreStatic, '$.variables.host'],
    ]);
  });

  it('fails an expression that does not parse', () => {
    const t = good();
    t.outputs.storageName!.value = "[concat(parameters('name'), 'x']";
    expect(rulesOf(checkTemplate(t))).toEqual([Rule.expressionSyntax]);
  });

  it('checks nested templates by their own rules, and requires them to use inner scope', () => {
    const nested = (scope: string | undefined, inner: Template): Record<string, unknown> => ({
      type: 'Microsoft.Resources/deployments',
      apiVersion: '2024-03-01',
      name: 'nested',
      resourceGroup: 'other-rg',
      properties: {
        mode: 'Incremental',
        ...(scope === undefined ? {} : { expressionEvaluationOptions: { scope } }),
        parameters: { name: { value: "[parameters('name')]" } },
        template: inner,
      },
    });
    const t = good();
    t.resources.push(nested('inner', good()));
    expect(checkTemplate(t)).toEqual([]);

    const broken = good();
    roleAssignment(broken).scope = '[subscription().id]';
    const outer = good();
    outer.resources.push(nested('inner', broken));
    expect(checkTemplate(outer).map((f) => f.path)).toEqual([
      '$.resources[3].properties.template.resources[2].scope',
    ]);

    const outerScoped = good();
    outerScoped.resources.push(nested(undefined, good()));
    expect(rulesOf(checkTemplate(outerScoped))).toEqual([Rule.nestedInnerScope]);
  });

  it('the schema rejects unknown top-level and resource properties', () => {
    const t = good() as Template & { resource?: unknown };
    t.resource = [];
    (t.resources[0] as Record<string, unknown>).propertes = {};
    expect(schemaErrors(t)).toEqual([
      '/ must NOT have additional properties',
      '/resources/0 must NOT have additional properties',
    ]);
  });
});
