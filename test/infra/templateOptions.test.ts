// The optional parts of infra/main.json: the Durable Task Scheduler backend (durableBackend) and
// the lifecycle events topic (lifecycleEventsTopic). Each test evaluates the template the way ARM
// would for one set of parameter values (conditions, if(), app settings) and asserts what gets
// deployed, where each role is granted and what the app is told.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evaluateString, refFromValue, text, type Scope, type Value } from './armExpression.js';
import { flattenResources, type FlatResource } from './armRules.js';

const repo = new URL('../../', import.meta.url);
const template = JSON.parse(readFileSync(new URL('infra/main.json', repo), 'utf8')) as {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  resources: unknown[];
};
const hostJson = JSON.parse(readFileSync(new URL('host.json', repo), 'utf8')) as {
  extensions: { durableTask: Record<string, unknown> };
};

const APP = 'ftauto-test';
const APP_IDENTITY = `⟨id:Microsoft.ManagedIdentity/userAssignedIdentities|id-${APP}⟩`;
const APP_CLIENT_ID = `⟨reference(${APP_IDENTITY},2023-01-31)⟩.clientId`;
const APP_PRINCIPAL_ID = `⟨reference(${APP_IDENTITY},2023-01-31)⟩.principalId`;
const DURABLE_TASK_DATA_CONTRIBUTOR = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
const EVENTGRID_DATA_SENDER = 'd5a91429-5739-47e2-a06b-3470a27159e7';

/** The template as ARM would deploy it with these parameter values (the rest at their defaults). */
function deployment(values: Record<string, Value>) {
  const scope: Scope = {
    parameters: template.parameters,
    variables: template.variables,
    parameterDefaults: true,
    parameterValues: { appName: APP, ...values },
  };
  const evaluate = (raw: unknown): Value =>
    typeof raw === 'string' ? evaluateString(raw, scope) : (raw as Value);
  const all = flattenResources({ ...template, resources: template.resources });
  const deployed = all.filter((r) => r.body.condition === undefined || evaluate(r.body.condition) === true);
  const ofType = (type: string): FlatResource[] => deployed.filter((r) => r.type === type);
  const name = (r: FlatResource): string => text(evaluate(r.body.name));
  const site = ofType('Microsoft.Web/sites')[0];
  const settings = (
    site?.body.properties as { siteConfig: { appSettings: { name: string; value: string }[] } }
  ).siteConfig.appSettings;
  const setting = (key: string): Value | undefined => {
    const found = settings.find((s) => s.name === key);
    return found === undefined ? undefined : evaluate(found.value);
  };
  /** Every deployed role assignment of a role: its scope (type and name) and principal. */
  const grants = (roleId: string) =>
    ofType('Microsoft.Authorization/roleAssignments')
      .filter((r) => {
        const role = refFromValue(
          evaluate((r.body.properties as { roleDefinitionId: string }).roleDefinitionId),
        );
        return role?.name === roleId;
      })
      .map((r) => ({
        scope: refFromValue(evaluate(r.body.scope)),
        principal: evaluate((r.body.properties as { principalId: string }).principalId),
      }));
  const siteDependsOn = ((site?.body.dependsOn ?? []) as string[]).map((d) => text(evaluate(d)));
  return { ofType, name, setting, grants, siteDependsOn, evaluate };
}

describe('main.json with the default backend (Azure Storage) and no events topic', () => {
  const d = deployment({});

  it('creates no scheduler, task hub or topic', () => {
    expect(d.ofType('Microsoft.DurableTask/schedulers')).toEqual([]);
    expect(d.ofType('Microsoft.DurableTask/schedulers/taskHubs')).toEqual([]);
    expect(d.ofType('Microsoft.EventGrid/topics')).toEqual([]);
  });

  it('grants neither Durable Task Data Contributor nor EventGrid Data Sender', () => {
    expect(d.grants(DURABLE_TASK_DATA_CONTRIBUTOR)).toEqual([]);
    expect(d.grants(EVENTGRID_DATA_SENDER)).toEqual([]);
  });

  it('selects the Azure Storage provider over the host storage connection', () => {
    expect(d.setting('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe(
      'AzureStorage',
    );
    expect(
      d.setting('AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName'),
    ).toBe('AzureWebJobsStorage');
    expect(d.setting('DURABLE_TASK_SCHEDULER_CONNECTION_STRING')).toBe('');
  });

  it('gives the app an empty events topic endpoint (publish nothing)', () => {
    expect(d.setting('EVENTS_TOPIC_ENDPOINT')).toBe('');
  });
});

describe('main.json with durableBackend durableTaskScheduler', () => {
  const d = deployment({ durableBackend: 'durableTaskScheduler' });

  it('creates one scheduler of the chosen SKU that admits callers (an empty allow list refuses all)', () => {
    const schedulers = d.ofType('Microsoft.DurableTask/schedulers');
    expect(schedulers.map((s) => [d.name(s), s.body.apiVersion])).toEqual([[`dts-${APP}`, '2025-11-01']]);
    const properties = schedulers[0]?.body.properties as { ipAllowlist: string[]; sku: { name: string } };
    expect(properties.ipAllowlist).toEqual(['0.0.0.0/0']);
    expect(d.evaluate(properties.sku.name)).toBe('Consumption');
  });

  it('takes the Dedicated SKU when asked', () => {
    const dedicated = deployment({
      durableBackend: 'durableTaskScheduler',
      durableTaskSchedulerSku: 'Dedicated',
    });
    const [scheduler] = dedicated.ofType('Microsoft.DurableTask/schedulers');
    expect(dedicated.evaluate((scheduler?.body.properties as { sku: { name: string } }).sku.name)).toBe(
      'Dedicated',
    );
  });

  it('creates the task hub named like TASKHUB_NAME on that scheduler', () => {
    const hubs = d.ofType('Microsoft.DurableTask/schedulers/taskHubs');
    expect(hubs.map((h) => [d.name(h), h.body.apiVersion])).toEqual([[`dts-${APP}/autopilot`, '2025-11-01']]);
    expect(d.setting('TASKHUB_NAME')).toBe('autopilot');
  });

  it('grants Durable Task Data Contributor to the app identity on its task hub only', () => {
    expect(d.grants(DURABLE_TASK_DATA_CONTRIBUTOR)).toEqual([
      {
        scope: { type: 'Microsoft.DurableTask/schedulers/taskHubs', name: `dts-${APP}/autopilot` },
        principal: APP_PRINCIPAL_ID,
      },
    ]);
  });

  it('switches the host to the azureManaged provider through app settings', () => {
    expect(d.setting('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe(
      'azureManaged',
    );
    expect(
      d.setting('AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName'),
    ).toBe('DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
  });

  it('connects with the app identity to the scheduler endpoint, with no secret', () => {
    expect(d.setting('DURABLE_TASK_SCHEDULER_CONNECTION_STRING')).toBe(
      `Endpoint=⟨reference(⟨id:Microsoft.DurableTask/schedulers|dts-${APP}⟩,2025-11-01)⟩.endpoint;Authentication=ManagedIdentity;ClientID=${APP_CLIENT_ID}`,
    );
  });

  it('starts the app only once its role on the task hub exists', () => {
    expect(d.siteDependsOn).toContain(
      `⟨id:Microsoft.Authorization/roleAssignments|⟨guid(⟨id:Microsoft.DurableTask/schedulers/taskHubs|dts-${APP}/autopilot⟩,id-${APP},${DURABLE_TASK_DATA_CONTRIBUTOR})⟩⟩`,
    );
  });

  it('leaves the events topic off', () => {
    expect(d.ofType('Microsoft.EventGrid/topics')).toEqual([]);
    expect(d.setting('EVENTS_TOPIC_ENDPOINT')).toBe('');
  });
});

describe('main.json with lifecycleEventsTopic', () => {
  const d = deployment({ lifecycleEventsTopic: true });

  it('creates one custom topic taking CloudEvents 1.0, with key and SAS auth off', () => {
    const topics = d.ofType('Microsoft.EventGrid/topics');
    expect(topics.map((t) => [d.name(t), t.body.apiVersion])).toEqual([
      [`evgt-${APP}-lifecycle`, '2025-02-15'],
    ]);
    expect(topics[0]?.body.properties).toEqual({
      inputSchema: 'CloudEventSchemaV1_0',
      disableLocalAuth: true,
      publicNetworkAccess: 'Enabled',
      minimumTlsVersionAllowed: '1.2',
    });
  });

  it('grants EventGrid Data Sender to the app identity on that topic only', () => {
    expect(d.grants(EVENTGRID_DATA_SENDER)).toEqual([
      {
        scope: { type: 'Microsoft.EventGrid/topics', name: `evgt-${APP}-lifecycle` },
        principal: APP_PRINCIPAL_ID,
      },
    ]);
  });

  it("sets EVENTS_TOPIC_ENDPOINT to the topic's endpoint", () => {
    expect(d.setting('EVENTS_TOPIC_ENDPOINT')).toBe(
      `⟨reference(⟨id:Microsoft.EventGrid/topics|evgt-${APP}-lifecycle⟩,2025-02-15)⟩.endpoint`,
    );
  });

  it('starts the app only once it may publish', () => {
    expect(d.siteDependsOn).toContain(
      `⟨id:Microsoft.Authorization/roleAssignments|⟨guid(⟨id:Microsoft.EventGrid/topics|evgt-${APP}-lifecycle⟩,id-${APP},${EVENTGRID_DATA_SENDER})⟩⟩`,
    );
  });

  it('keeps the Azure Storage backend', () => {
    expect(d.ofType('Microsoft.DurableTask/schedulers')).toEqual([]);
    expect(d.setting('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe(
      'AzureStorage',
    );
  });
});

describe('host.json and the backend settings', () => {
  it('leaves the storage provider to the default (Azure Storage), so the local host keeps it', () => {
    expect(hostJson.extensions.durableTask).toEqual({
      hubName: '%TASKHUB_NAME%',
      // a running line orchestration is never replaced by a start with its id (src/runs/lineMessaging.ts)
      overridableExistingInstanceStates: 'NonRunningStates',
    });
  });

  it('overrides only keys under the durableTask section host.json has', () => {
    const overrides = (
      template.resources as {
        type: string;
        properties?: { siteConfig?: { appSettings?: { name: string }[] } };
      }[]
    )
      .flatMap((r) => r.properties?.siteConfig?.appSettings ?? [])
      .map((s) => s.name)
      .filter((n) => n.startsWith('AzureFunctionsJobHost__'));
    expect(overrides).toEqual([
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
    ]);
    const parents = overrides.map((n) => n.split('__').slice(1, 3).join('.'));
    expect(parents.every((p) => p === 'extensions.durableTask')).toBe(true);
    expect(Object.keys(hostJson.extensions)).toContain('durableTask');
  });
});
