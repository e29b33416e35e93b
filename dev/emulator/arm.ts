// ARM routes of Microsoft.MachineLearningServices (api-version 2022-10-01): the workspace, computes, VM
// sizes, usages, quotas, jobs, model versions, online endpoints and deployments, and the operation
// status/result URLs that long-running operations point at. Status codes and LRO headers follow the
// REST spec (mfe.json 2022-10-01): endpoint/deployment PUT 201 + Azure-AsyncOperation, DELETE 202 +
// Location, job cancel 202 + Location; PUT jobs is synchronous (201 new, 200 same).
import { randomBytes } from 'node:crypto';
import type { ComputeSeed } from './config.js';
import type { Route, RouteContext } from './core.js';
import { ARM_API_VERSIONS } from './core.js';
import { ArmError, isRecord, type Reply } from './http.js';
import { jobStatus, TERMINAL } from './jobs.js';
import { USAGE_FACTS, usageFamilyPart, vmSizeRetirement } from './facts.js';
import { COMPONENT_NAME, validatePipelineJob } from './pipeline.js';
import {
  deploymentKey,
  modelKey,
  type DeploymentRecord,
  type EndpointRecord,
  type JobRecord,
} from './state.js';
import { planJob, stepWindows } from './jobs.js';

const WS = String.raw`/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/([^/]+)`;
const LOC = String.raw`/subscriptions/([^/]+)/providers/Microsoft\.MachineLearningServices/locations/([^/]+)`;
const re = (path: string) => new RegExp(`^${path}$`, 'i');

/** ARM's rule for online endpoint and deployment names. */
export const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{2,31}$/;
const AUTH_MODES = ['Key', 'AMLToken', 'AADToken'];

function arm(
  method: string,
  path: string,
  operation: Route['operation'],
  handle: Route['handle'],
  scope: Route['scope'] = 'workspace',
): Route {
  return { method, pattern: re(path), operation, auth: 'arm', apiVersions: ARM_API_VERSIONS, scope, handle };
}

const ok = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!isRecord(body))
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid: ${what} must be a JSON object.`,
    );
  return body;
}

function userError(message: string, target?: string): ArmError {
  return new ArmError(400, 'UserError', message, target ? [{ code: 'BadArgument', message, target }] : []);
}

function tagsOf(value: unknown, at: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string'))
    throw userError(`'${at}' must be an object of string values.`, at);
  return value as Record<string, string>;
}

/** `k1,k2=v2` as the list APIs take it: every key present, and equal where a value is given. */
export function matchesTagFilter(tags: Record<string, string>, filter: string | null): boolean {
  if (filter === null || filter.trim() === '') return true;
  return filter.split(',').every((term) => {
    const [key, ...rest] = term.split('=');
    const k = key!.trim();
    if (!(k in tags)) return false;
    return rest.length === 0 || tags[k] === rest.join('=').trim();
  });
}

// ---- workspace, computes, sizes, usages, quotas --------------------------------------------------

function workspaceBody({ core }: RouteContext): unknown {
  const c = core.config;
  return {
    id: core.workspaceId,
    name: c.workspace,
    type: 'Microsoft.MachineLearningServices/workspaces',
    location: c.location,
    tags: {},
    identity: {
      type: 'SystemAssigned',
      principalId: '11111111-1111-1111-1111-111111111111',
      tenantId: '22222222-2222-2222-2222-222222222222',
    },
    sku: { name: 'Basic', tier: 'Basic' },
    systemData: core.systemData(Date.parse('2025-01-01T00:00:00Z')),
    properties: {
      workspaceId: '33333333-3333-3333-3333-333333333333',
      friendlyName: c.workspace,
      description: 'Azure ML emulator workspace',
      provisioningState: 'Succeeded',
      hbiWorkspace: false,
      publicNetworkAccess: 'Enabled',
      v1LegacyMode: false,
      discoveryUrl: `${core.baseUrl}/discovery`,
      mlFlowTrackingUri: core.mlflowTrackingUri,
      storageAccount: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Storage/storageAccounts/stautopilotlocal`,
    },
  };
}

function computeBody(ctx: RouteContext, seed: ComputeSeed): unknown {
  const { core } = ctx;
  const created = new Date(Date.parse('2025-01-01T00:00:00Z')).toISOString();
  return {
    id: `${core.workspaceId}/computes/${seed.name}`,
    name: seed.name,
    type: 'Microsoft.MachineLearningServices/workspaces/computes',
    location: core.config.location,
    tags: {},
    systemData: core.systemData(Date.parse(created)),
    properties: {
      computeType: 'AmlCompute',
      computeLocation: core.config.location,
      provisioningState: seed.provisioningState,
      createdOn: created,
      modifiedOn: created,
      isAttachedCompute: false,
      disableLocalAuth: true,
      provisioningErrors:
        seed.provisioningState === 'Failed'
          ? [
              {
                error: {
                  code: 'ComputeProvisioningFailed',
                  message: seed.failureMessage ?? 'Compute provisioning failed.',
                },
              },
            ]
          : null,
      properties: {
        osType: 'Linux',
        vmSize: seed.vmSize,
        vmPriority: 'Dedicated',
        scaleSettings: {
          maxNodeCount: seed.maxNodeCount,
          minNodeCount: seed.minNodeCount,
          nodeIdleTimeBeforeScaleDown: 'PT120S',
        },
        remoteLoginPortPublicAccess: 'Disabled',
        allocationState: 'Steady',
        allocationStateTransitionTime: created,
        currentNodeCount: 0,
        targetNodeCount: 0,
        nodeStateCounts: {
          idleNodeCount: 0,
          runningNodeCount: 0,
          preparingNodeCount: 0,
          unusableNodeCount: 0,
          leavingNodeCount: 0,
          preemptedNodeCount: 0,
        },
        enableNodePublicIp: true,
        errors: null,
      },
    },
  };
}

const infraRoutes: Route[] = [
  arm('GET', WS, 'Workspaces_Get', (ctx) => ok(workspaceBody(ctx))),
  arm('GET', `${WS}/computes`, 'Compute_List', (ctx) =>
    ok({ value: ctx.core.config.computes.map((c) => computeBody(ctx, c)) }),
  ),
  arm('GET', `${WS}/computes/([^/]+)`, 'Compute_Get', (ctx) => {
    const name = ctx.params[3]!;
    const seed = ctx.core.config.computes.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!seed) throw ctx.core.notFound('computes', name);
    return ok(computeBody(ctx, seed));
  }),
  arm(
    'GET',
    `${LOC}/vmSizes`,
    'VirtualMachineSizes_List',
    ({ core }) =>
      ok({
        value: core.config.vmSizes.map((s) => ({
          name: s.name,
          family: s.family,
          vCPUs: s.vCPUs,
          gpus: s.gpus,
          osVhdSizeMB: 1047552,
          maxResourceVolumeMB: s.vCPUs * 56 * 1024,
          memoryGB: s.memoryGB,
          lowPriorityCapable: true,
          premiumIO: true,
          supportedComputeTypes: ['AmlCompute', 'ComputeInstance'],
        })),
      }),
    'location',
  ),
  arm('GET', `${LOC}/usages`, 'Usages_List', ({ core }) => ok({ value: usageRows(core) }), 'location'),
  arm(
    'GET',
    `${LOC}/quotas`,
    'Quotas_List',
    ({ core }) => {
      // Quota rows use the usage rows' names (facts/usages.json, from the REST example Quota/list.json).
      const c = core.config;
      const sub = `/subscriptions/${c.subscriptionId}`;
      const scopes = USAGE_FACTS.quotas.scopes;
      return ok({
        value: c.usages.flatMap((u) => {
          const name = `Standard ${usageFamilyPart(u.family)} Family Cluster Dedicated vCPUs`;
          const tail = `/quotas/${name.replace(/ /g, '_')}`;
          const row = (id: string, type: string) => ({
            id,
            type,
            limit: u.limit,
            unit: 'Count',
            name: { value: name, localizedValue: name },
          });
          return [
            row(`${sub}${tail}`, scopes.subscription.type),
            row(`${core.workspaceId}${tail}`, scopes.workspace.type),
          ];
        }),
      });
    },
    'location',
  ),
];

/**
 * Usage rows in the service's naming (facts/usages.json, from the REST example Usage/list.json): totals,
 * then per VM family a Dedicated and a LowPriority row at subscription, workspace and cluster scope.
 */
function usageRows(core: RouteContext['core']): unknown[] {
  const c = core.config;
  const sub = `/subscriptions/${c.subscriptionId}`;
  const ws = `${sub}/resourceGroups/${c.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.workspace}`;
  const row = (id: string, type: string, name: string, currentValue: number, limit: number) => ({
    id,
    type,
    unit: 'Count',
    currentValue,
    limit,
    name: { value: name, localizedValue: name },
  });
  const sum = (pick: (u: (typeof c.usages)[number]) => number) => c.usages.reduce((s, u) => s + pick(u), 0);
  const [clusters, dedicated, lowPriority] = USAGE_FACTS.totals as [
    { name: string; type: string },
    { name: string; type: string },
    { name: string; type: string },
  ];
  const rows: unknown[] = [
    // The cluster count limit is a seed value (the REST example shows 100).
    row(`${sub}/usages`, clusters.type, clusters.name, c.computes.length, 100),
    row(
      `${sub}/usages`,
      dedicated.type,
      dedicated.name,
      sum((u) => u.currentValue),
      sum((u) => Math.max(0, u.limit)),
    ),
    row(
      `${sub}/usages`,
      lowPriority.type,
      lowPriority.name,
      sum((u) => u.lowPriorityCurrentValue ?? 0),
      -1,
    ),
  ];
  const scopes = USAGE_FACTS.scopes;
  for (const u of c.usages) {
    const part = usageFamilyPart(u.family);
    for (const [tier, current, limit] of [
      ['Dedicated', u.currentValue, u.limit],
      ['LowPriority', u.lowPriorityCurrentValue ?? 0, u.lowPriorityLimit ?? -1],
    ] as const) {
      const name = `Standard ${part} Family Cluster ${tier} vCPUs`;
      const tail = `/usages/${name.replace(/ /g, '_')}`;
      rows.push(row(`${sub}${tail}`, scopes.subscription.type, name, current, limit));
      rows.push(row(`${ws}${tail}`, scopes.workspace.type, name, current, limit));
      for (const compute of c.computes) {
        const size = c.vmSizes.find((s) => s.name.toLowerCase() === compute.vmSize.toLowerCase());
        if (size?.family !== u.family) continue;
        // No node of an idle cluster is allocated: its own usage is 0 of the family's limit.
        rows.push(row(`${ws}/computes/${compute.name}${tail}`, scopes.cluster.type, name, 0, limit));
      }
    }
  }
  return rows;
}

// ---- jobs ----------------------------------------------------------------------------------

/** Fields of a job that may change on a repeated PUT; anything else must match the existing job. */
const MUTABLE_JOB_FIELDS = ['tags', 'description', 'displayName', 'properties'];

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function immutablePart(properties: Record<string, unknown>): string {
  const copy = { ...properties };
  for (const field of MUTABLE_JOB_FIELDS) delete copy[field];
  return canonical(copy);
}

export function jobBody(ctx: RouteContext, job: JobRecord): unknown {
  const { core } = ctx;
  const status = jobStatus(job, core.now());
  return {
    id: `${core.workspaceId}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    systemData: core.systemData(job.createdAt),
    properties: {
      ...job.properties,
      experimentName: job.experimentName,
      status,
      isArchived: false,
      services: {
        Studio: {
          jobServiceType: 'Studio',
          endpoint: `https://ml.azure.com/runs/${job.name}?wsid=${core.workspaceId}`,
        },
        Tracking: { jobServiceType: 'Tracking', endpoint: core.mlflowTrackingUri },
      },
    },
  };
}

function findJob(ctx: RouteContext): JobRecord {
  const name = ctx.params[3]!;
  const job = ctx.core.state.jobs[name];
  if (!job) throw ctx.core.notFound('jobs', name);
  return job;
}

/**
 * Run-time failures the service would only hit once the pipeline runs (not at submission): a step placed
 * on a compute in Failed state, a fine-tune VM size outside the model's allow list, or more GPUs asked
 * for than the VM has. They make the job fail at that step.
 */
function runtimeFailure(ctx: RouteContext, job: JobRecord): { step: string; message: string } | undefined {
  const config = ctx.core.config;
  for (const step of job.resolved.steps) {
    const compute = config.computes.find((c) => c.name === step.compute);
    if (compute?.provisioningState === 'Failed') {
      return {
        step: step.name,
        message: `Compute '${compute.name}' is in state Failed and cannot run step '${step.name}'.`,
      };
    }
  }
  const finetuneStep = job.resolved.steps.find((s) => s.name.endsWith('_finetune'));
  const finetune = config.computes.find((c) => c.name === finetuneStep?.compute);
  const vmSize = finetune?.vmSize ?? finetuneStep?.instanceType;
  if (finetuneStep && vmSize !== undefined) {
    const size = config.vmSizes.find((s) => s.name.toLowerCase() === vmSize.toLowerCase());
    const model = /models\/([^/]+)\/versions\/([^/]+)$/.exec(job.resolved.modelUri);
    const seed = model && config.registry.models.find((m) => m.name === model[1] && m.version === model[2]);
    const allow = seed?.tags.finetune_compute_allow_list;
    const importStep =
      job.resolved.steps.find((s) => s.name.endsWith('_model_import'))?.name ?? finetuneStep.name;
    if (allow !== undefined && !allow.toLowerCase().includes(`'${vmSize.toLowerCase()}'`)) {
      return {
        step: importStep,
        message: `VM size ${vmSize} is not in the finetune_compute_allow_list of the model.`,
      };
    }
    const gpus = Number(job.resolved.literals.number_of_gpu_to_use_finetuning ?? '1');
    if (size && gpus > size.gpus) {
      return {
        step: finetuneStep.name,
        message: `number_of_gpu_to_use_finetuning is ${gpus} but ${vmSize} has ${size.gpus} GPUs per node.`,
      };
    }
  }
  return undefined;
}

function putJob(ctx: RouteContext): Reply {
  const { core } = ctx;
  const name = ctx.params[3]!;
  if (name.length > 255 || !/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(name)) {
    throw userError(
      `Job name '${name}' is invalid: use letters, digits, '-' and '_' (starting with a letter or digit).`,
      'name',
    );
  }
  const body = requireObject(ctx.body, 'the job');
  const properties = requireObject(body.properties, "'properties'");
  tagsOf(properties.tags, 'properties.tags');
  const existing = core.state.jobs[name];
  if (existing) {
    if (immutablePart(existing.properties) !== immutablePart(properties)) {
      throw new ArmError(
        400,
        'UserError',
        `A job with name '${name}' already exists; its definition cannot be changed (only tags, description and displayName can). Submit under a new name.`,
      );
    }
    for (const field of ['tags', 'description', 'displayName'] as const)
      if (field in properties) existing.properties[field] = properties[field];
    core.persist();
    return ok(jobBody(ctx, existing), 200);
  }
  const config = core.config;
  const validation = validatePipelineJob(properties, {
    registryName: config.registry.name,
    components: core.servedComponents(),
    registryModels: config.registry.models,
    datastores: config.datastores,
    computes: config.computes,
    lifecycleNow: core.lifecycleNow(),
  });
  if (!validation.ok) {
    const first = validation.problems[0]!;
    const more =
      validation.problems.length > 1
        ? ` (and ${validation.problems.length - 1} more problem(s) in details)`
        : '';
    throw new ArmError(
      400,
      'UserError',
      `Job '${name}' is invalid: ${first.target}: ${first.message}${more}`,
      validation.problems,
    );
  }
  const now = core.now();
  const job: JobRecord = {
    name,
    properties,
    experimentName:
      typeof properties.experimentName === 'string' && properties.experimentName !== ''
        ? properties.experimentName
        : 'Default',
    resolved: validation.resolved,
    ...planJob(now, core.state.clock.jobSeconds),
    emitted: {},
  };
  const failure = runtimeFailure(ctx, job);
  if (failure) {
    const window = stepWindows(job).find((w) => w.step === failure.step)!;
    job.outcome = {
      status: 'Failed',
      at: window.start + (window.end - window.start) * 0.1,
      reason: failure.message,
    };
  }
  core.state.jobs[name] = job;
  core.persist();
  core.log(`job ${name} submitted (${COMPONENT_NAME} ${validation.resolved.componentVersion})`);
  return ok(jobBody(ctx, job), 201);
}

const jobRoutes: Route[] = [
  arm('PUT', `${WS}/jobs/([^/]+)`, 'Jobs_CreateOrUpdate', putJob),
  arm('GET', `${WS}/jobs/([^/]+)`, 'Jobs_Get', (ctx) => ok(jobBody(ctx, findJob(ctx)))),
  arm('GET', `${WS}/jobs`, 'Jobs_List', (ctx) => {
    const tag = ctx.query.get('tag');
    const jobs = Object.values(ctx.core.state.jobs)
      .filter((j) => matchesTagFilter((j.properties.tags ?? {}) as Record<string, string>, tag))
      .sort((a, b) => b.createdAt - a.createdAt);
    return ok({ value: jobs.map((j) => jobBody(ctx, j)) });
  }),
  arm('POST', `${WS}/jobs/([^/]+)/cancel`, 'Jobs_Cancel', (ctx) => {
    const { core } = ctx;
    const job = findJob(ctx);
    const now = core.now();
    const failure = core.faults.takeProvisioningFailure('Jobs_Cancel');
    const op = core.startOperation(
      'jobCancel',
      { job: job.name },
      failure ? { code: 'UserError', message: failure.message ?? 'Cancel failed.' } : undefined,
    );
    // Cancelling a finished job changes nothing; the operation still completes, as the service's does.
    if (!TERMINAL.includes(jobStatus(job, now)) && job.cancel === undefined && !failure) {
      job.cancel = { requestedAt: now, doneAt: op.doneAt };
    }
    core.persist();
    return { status: 202, headers: core.locationHeaders(op) };
  }),
];

// ---- model versions --------------------------------------------------------------------------

const MODEL_TYPES = [
  'mlflow_model',
  'custom_model',
  'triton_model',
  'MLFlowModel',
  'CustomModel',
  'TritonModel',
];

function modelBody(ctx: RouteContext, name: string, version: string): unknown {
  const record = ctx.core.state.models[modelKey(name, version)]!;
  return {
    id: `${ctx.core.workspaceId}/models/${name}/versions/${version}`,
    name: version,
    type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
    systemData: ctx.core.systemData(record.createdAt),
    properties: {
      ...(record.body.properties as Record<string, unknown>),
      isArchived: false,
      isAnonymous: false,
    },
  };
}

function putModelVersion(ctx: RouteContext): Reply {
  const { core } = ctx;
  const [name, version] = [ctx.params[3]!, ctx.params[4]!];
  if (!/^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/.test(name))
    throw userError(`Model name '${name}' is invalid: letters, digits, '-', '_' and '.' only.`, 'name');
  const body = requireObject(ctx.body, 'the model version');
  const properties = requireObject(body.properties, "'properties'");
  tagsOf(properties.tags, 'properties.tags');
  if (typeof properties.modelUri !== 'string' || properties.modelUri === '')
    throw userError("'properties.modelUri' is required.", 'properties.modelUri');
  if (
    properties.modelType !== undefined &&
    (typeof properties.modelType !== 'string' || !MODEL_TYPES.includes(properties.modelType))
  ) {
    throw userError(
      `'properties.modelType' must be one of ${MODEL_TYPES.slice(0, 3).join(', ')}.`,
      'properties.modelType',
    );
  }
  const jobOutput = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(\/.*)?$/.exec(properties.modelUri);
  if (jobOutput) {
    const job = core.state.jobs[jobOutput[1]!];
    if (!job) throw userError(`Job '${jobOutput[1]}' in modelUri does not exist.`, 'properties.modelUri');
    const status = jobStatus(job, core.now());
    if (status !== 'Completed')
      throw userError(
        `Job '${job.name}' is ${status}; a model can only be registered from the outputs of a Completed job.`,
        'properties.modelUri',
      );
    const outputs = (job.properties.outputs ?? {}) as Record<string, unknown>;
    if (!(jobOutput[2]! in outputs)) {
      throw userError(
        `Job '${job.name}' has no output '${jobOutput[2]}' (it has ${Object.keys(outputs).join(', ') || 'none'}).`,
        'properties.modelUri',
      );
    }
  }
  const key = modelKey(name, version);
  const existing = core.state.models[key];
  if (existing) {
    const before = existing.body.properties as Record<string, unknown>;
    if (before.modelUri !== properties.modelUri) {
      throw new ArmError(
        409,
        'UserError',
        `Model '${name}' version '${version}' already exists with a different modelUri; versions are immutable, register a new version.`,
      );
    }
    existing.body = {
      ...existing.body,
      properties: {
        ...before,
        tags: properties.tags ?? before.tags,
        description: properties.description ?? before.description,
      },
    };
    core.persist();
    return ok(modelBody(ctx, name, version), 200);
  }
  core.state.models[key] = { name, version, body: { properties }, createdAt: core.now() };
  core.persist();
  return ok(modelBody(ctx, name, version), 201);
}

const modelRoutes: Route[] = [
  arm('PUT', `${WS}/models/([^/]+)/versions/([^/]+)`, 'ModelVersions_CreateOrUpdate', putModelVersion),
  arm('GET', `${WS}/models/([^/]+)/versions/([^/]+)`, 'ModelVersions_Get', (ctx) => {
    const [name, version] = [ctx.params[3]!, ctx.params[4]!];
    if (!ctx.core.state.models[modelKey(name, version)])
      throw ctx.core.notFound('models', `${name}/versions/${version}`);
    return ok(modelBody(ctx, name, version));
  }),
  arm('GET', `${WS}/models/([^/]+)/versions`, 'ModelVersions_List', (ctx) => {
    const name = ctx.params[3]!;
    const top = Number(ctx.query.get('$top') ?? 'NaN');
    const versions = Object.values(ctx.core.state.models)
      .filter(
        (m) =>
          m.name === name &&
          matchesTagFilter(
            ((m.body.properties as Record<string, unknown>).tags ?? {}) as Record<string, string>,
            ctx.query.get('tags'),
          ),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const page = Number.isInteger(top) && top > 0 ? versions.slice(0, top) : versions;
    return ok({ value: page.map((m) => modelBody(ctx, m.name, m.version)) });
  }),
];

// ---- online endpoints and deployments ----------------------------------------------------------

function endpointBody(ctx: RouteContext, ep: EndpointRecord): unknown {
  const { core } = ctx;
  return {
    id: `${core.workspaceId}/onlineEndpoints/${ep.name}`,
    name: ep.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
    location: ep.location,
    tags: ep.tags,
    kind: ep.kind ?? 'Managed',
    identity: ep.identity ?? {
      type: 'SystemAssigned',
      principalId: '44444444-4444-4444-4444-444444444444',
      tenantId: '22222222-2222-2222-2222-222222222222',
    },
    systemData: core.systemData(ep.createdAt, ep.modifiedAt),
    properties: {
      ...ep.properties,
      scoringUri: `${core.baseUrl}/score/${ep.name}`,
      swaggerUri: `${core.baseUrl}/score/${ep.name}/swagger.json`,
      traffic: ep.properties.traffic ?? {},
      mirrorTraffic: ep.properties.mirrorTraffic ?? {},
      publicNetworkAccess: ep.properties.publicNetworkAccess ?? 'Enabled',
      provisioningState: ep.provisioningState,
    },
  };
}

function deploymentBody(ctx: RouteContext, d: DeploymentRecord): unknown {
  const { core } = ctx;
  return {
    id: `${core.workspaceId}/onlineEndpoints/${d.endpoint}/deployments/${d.name}`,
    name: d.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
    location: d.location,
    tags: d.tags,
    kind: d.kind ?? 'Managed',
    sku: d.sku ?? { name: 'Default', tier: 'Standard', capacity: 1 },
    systemData: core.systemData(d.createdAt, d.modifiedAt),
    properties: { ...d.properties, provisioningState: d.provisioningState },
  };
}

function findEndpoint(ctx: RouteContext): EndpointRecord {
  const name = ctx.params[3]!;
  const ep = ctx.core.state.endpoints[name];
  if (!ep) throw ctx.core.notFound('onlineEndpoints', name);
  return ep;
}

function checkLocation(ctx: RouteContext, body: Record<string, unknown>): string {
  if (typeof body.location !== 'string' || body.location === '')
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (body.location.replace(/\s/g, '').toLowerCase() !== ctx.core.config.location.toLowerCase()) {
    throw userError(
      `Location '${body.location}' does not match the workspace location '${ctx.core.config.location}'.`,
      'location',
    );
  }
  return ctx.core.config.location;
}

function checkTraffic(ctx: RouteContext, endpoint: string, traffic: unknown): Record<string, number> {
  if (traffic === undefined || traffic === null) return {};
  if (!isRecord(traffic))
    throw userError(
      "'properties.traffic' must be an object of deployment name to percentage.",
      'properties.traffic',
    );
  let sum = 0;
  for (const [deployment, value] of Object.entries(traffic)) {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 100) {
      throw userError(
        `Traffic for deployment '${deployment}' must be a whole percentage 0-100, got ${JSON.stringify(value)}.`,
        'properties.traffic',
      );
    }
    const d = ctx.core.state.deployments[deploymentKey(endpoint, deployment)];
    if (!d)
      throw userError(
        `Traffic names deployment '${deployment}', which does not exist under endpoint '${endpoint}'.`,
        'properties.traffic',
      );
    if ((value as number) > 0 && d.provisioningState !== 'Succeeded') {
      throw userError(
        `Deployment '${deployment}' is ${d.provisioningState}; only a Succeeded deployment can take traffic.`,
        'properties.traffic',
      );
    }
    sum += value as number;
  }
  if (sum !== 0 && sum !== 100)
    throw userError(
      `Traffic percentages must add up to 100 (or all be 0); they add up to ${sum}.`,
      'properties.traffic',
    );
  return traffic as Record<string, number>;
}

function putEndpoint(ctx: RouteContext): Reply {
  const { core } = ctx;
  const name = ctx.params[3]!;
  if (!ENDPOINT_NAME.test(name)) {
    throw userError(
      `Endpoint name '${name}' is invalid: it must be 3-32 characters, start with a letter and contain only letters, digits and '-'.`,
      'name',
    );
  }
  const body = requireObject(ctx.body, 'the online endpoint');
  const location = checkLocation(ctx, body);
  const properties = requireObject(body.properties, "'properties'");
  if (typeof properties.authMode !== 'string' || !AUTH_MODES.includes(properties.authMode)) {
    throw userError(`'properties.authMode' must be one of ${AUTH_MODES.join(', ')}.`, 'properties.authMode');
  }
  const tags = tagsOf(body.tags, 'tags');
  const existing = core.state.endpoints[name];
  if (existing && ['Creating', 'Updating', 'Deleting'].includes(existing.provisioningState)) {
    throw new ArmError(
      409,
      'Conflict',
      `Endpoint '${name}' is ${existing.provisioningState}; wait for the running operation to finish.`,
    );
  }
  const traffic = checkTraffic(ctx, name, properties.traffic);
  const failure = core.faults.takeProvisioningFailure('OnlineEndpoints_CreateOrUpdate');
  const op = core.startOperation(
    'endpointPut',
    { endpoint: name },
    failure
      ? { code: 'EndpointProvisioningFailed', message: failure.message ?? 'Endpoint provisioning failed.' }
      : undefined,
  );
  const now = core.now();
  const record: EndpointRecord = {
    name,
    location,
    tags,
    ...(typeof body.kind === 'string' ? { kind: body.kind } : {}),
    ...(body.identity !== undefined
      ? { identity: body.identity }
      : existing?.identity !== undefined
        ? { identity: existing.identity }
        : {}),
    properties: { ...properties, traffic },
    provisioningState: existing ? 'Updating' : 'Creating',
    keys: existing?.keys ?? {
      primaryKey: randomBytes(24).toString('base64url'),
      secondaryKey: randomBytes(24).toString('base64url'),
    },
    createdAt: existing?.createdAt ?? now,
    modifiedAt: now,
  };
  core.state.endpoints[name] = record;
  core.persist();
  return ok(endpointBody(ctx, record), existing ? 200 : 201, core.asyncOperationHeaders(op));
}

function deleteEndpoint(ctx: RouteContext): Reply {
  const { core } = ctx;
  const name = ctx.params[3]!;
  const ep = core.state.endpoints[name];
  if (!ep) return { status: 204 };
  if (ep.provisioningState === 'Deleting')
    throw new ArmError(409, 'Conflict', `Endpoint '${name}' is already being deleted.`);
  const failure = core.faults.takeProvisioningFailure('OnlineEndpoints_Delete');
  const op = core.startOperation(
    'endpointDelete',
    { endpoint: name },
    failure
      ? { code: 'EndpointDeletionFailed', message: failure.message ?? 'Endpoint deletion failed.' }
      : undefined,
  );
  ep.provisioningState = 'Deleting';
  core.persist();
  return { status: 202, headers: core.locationHeaders(op) };
}

/** Model references a deployment may use: the model version's ARM id, or azureml:name:version. */
function modelReference(ctx: RouteContext, model: string): { name: string; version: string } | undefined {
  const armId = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(model);
  if (armId && model.toLowerCase().startsWith(ctx.core.workspaceId.toLowerCase()))
    return { name: armId[1]!, version: armId[2]! };
  const short = /^azureml:([^:/]+):([^:/]+)$/.exec(model);
  if (short) return { name: short[1]!, version: short[2]! };
  return undefined;
}

function putDeployment(ctx: RouteContext): Reply {
  const { core } = ctx;
  const ep = findEndpoint(ctx);
  const name = ctx.params[4]!;
  if (!ENDPOINT_NAME.test(name)) {
    throw userError(
      `Deployment name '${name}' is invalid: it must be 3-32 characters, start with a letter and contain only letters, digits and '-'.`,
      'name',
    );
  }
  if (ep.provisioningState === 'Creating' || ep.provisioningState === 'Deleting') {
    throw new ArmError(
      409,
      'Conflict',
      `Endpoint '${ep.name}' is ${ep.provisioningState}; a deployment can be created once it has Succeeded.`,
    );
  }
  if (ep.provisioningState === 'Failed')
    throw userError(`Endpoint '${ep.name}' is in state Failed; delete and recreate it.`);
  const body = requireObject(ctx.body, 'the online deployment');
  const location = checkLocation(ctx, body);
  const properties = requireObject(body.properties, "'properties'");
  if (properties.endpointComputeType !== 'Managed') {
    throw userError(
      `'properties.endpointComputeType' must be 'Managed' for this workspace, got ${JSON.stringify(properties.endpointComputeType)}.`,
      'properties.endpointComputeType',
    );
  }
  if (typeof properties.model !== 'string' || properties.model === '')
    throw userError("'properties.model' is required.", 'properties.model');
  const reference = modelReference(ctx, properties.model);
  if (!reference) {
    throw userError(
      `'properties.model' must be a model version id of this workspace (${core.workspaceId}/models/<name>/versions/<version>) or azureml:<name>:<version>; got '${properties.model}'.`,
      'properties.model',
    );
  }
  if (typeof properties.instanceType !== 'string')
    throw userError(
      "'properties.instanceType' is required for a managed deployment.",
      'properties.instanceType',
    );
  const instanceType = properties.instanceType;
  if (!core.config.vmSizes.some((s) => s.name.toLowerCase() === instanceType.toLowerCase())) {
    throw userError(
      `Instance type '${instanceType}' is not available in ${core.config.location}.`,
      'properties.instanceType',
    );
  }
  const retired = vmSizeRetirement(instanceType);
  if (retired !== undefined && Date.parse(retired.retiredOn) <= core.lifecycleNow()) {
    throw userError(
      `Instance type '${instanceType}' was retired on ${retired.retiredOn}; choose a VM size that is not retired (e.g. Standard_NC24ads_A100_v4).`,
      'properties.instanceType',
    );
  }
  const sku = body.sku;
  if (
    sku !== undefined &&
    (!isRecord(sku) ||
      (sku.capacity !== undefined && (!Number.isInteger(sku.capacity) || (sku.capacity as number) < 1)))
  ) {
    throw userError("'sku.capacity' (instance count) must be a whole number >= 1.", 'sku.capacity');
  }
  const key = deploymentKey(ep.name, name);
  const existing = core.state.deployments[key];
  if (existing && ['Creating', 'Updating', 'Deleting'].includes(existing.provisioningState)) {
    throw new ArmError(
      409,
      'Conflict',
      `Deployment '${name}' is ${existing.provisioningState}; wait for the running operation to finish.`,
    );
  }
  // A model that does not exist is found while provisioning: the operation ends Failed with the reason.
  const missingModel = core.state.models[modelKey(reference.name, reference.version)] === undefined;
  const fault = core.faults.takeProvisioningFailure('OnlineDeployments_CreateOrUpdate');
  const failure = missingModel
    ? {
        code: 'ModelNotFound',
        message: `Model '${reference.name}' version '${reference.version}' was not found in workspace '${core.config.workspace}'.`,
      }
    : fault
      ? {
          code: 'DeploymentProvisioningFailed',
          message:
            fault.message ?? 'Deployment provisioning failed: the container failed its liveness probe.',
        }
      : undefined;
  const op = core.startOperation('deploymentPut', { endpoint: ep.name, deployment: name }, failure);
  const now = core.now();
  const record: DeploymentRecord = {
    endpoint: ep.name,
    name,
    location,
    tags: tagsOf(body.tags, 'tags'),
    ...(isRecord(sku) ? { sku: { name: 'Default', tier: 'Standard', ...sku } } : {}),
    ...(typeof body.kind === 'string' ? { kind: body.kind } : {}),
    properties,
    provisioningState: existing ? 'Updating' : 'Creating',
    createdAt: existing?.createdAt ?? now,
    modifiedAt: now,
  };
  core.state.deployments[key] = record;
  core.persist();
  return ok(deploymentBody(ctx, record), existing ? 200 : 201, core.asyncOperationHeaders(op));
}

function findDeployment(ctx: RouteContext): DeploymentRecord {
  const ep = findEndpoint(ctx);
  const d = ctx.core.state.deployments[deploymentKey(ep.name, ctx.params[4]!)];
  if (!d) throw ctx.core.notFound(`onlineEndpoints/${ep.name}/deployments`, ctx.params[4]!);
  return d;
}

function deleteDeployment(ctx: RouteContext): Reply {
  const { core } = ctx;
  const ep = core.state.endpoints[ctx.params[3]!];
  const d = ep && core.state.deployments[deploymentKey(ep.name, ctx.params[4]!)];
  if (!ep || !d) return { status: 204 };
  const traffic = (ep.properties.traffic ?? {}) as Record<string, number>;
  if ((traffic[d.name] ?? 0) > 0) {
    throw userError(
      `Deployment '${d.name}' has ${traffic[d.name]}% of endpoint '${ep.name}' traffic; set its traffic to 0 before deleting it.`,
    );
  }
  const failure = core.faults.takeProvisioningFailure('OnlineDeployments_Delete');
  const op = core.startOperation(
    'deploymentDelete',
    { endpoint: ep.name, deployment: d.name },
    failure
      ? { code: 'DeploymentDeletionFailed', message: failure.message ?? 'Deployment deletion failed.' }
      : undefined,
  );
  d.provisioningState = 'Deleting';
  core.persist();
  return { status: 202, headers: core.locationHeaders(op) };
}

function deploymentLogs(ctx: RouteContext): Reply {
  const d = findDeployment(ctx);
  const body = isRecord(ctx.body) ? ctx.body : {};
  const container = body.containerType === 'StorageInitializer' ? 'StorageInitializer' : 'InferenceServer';
  const tail = Number.isInteger(body.tail) && (body.tail as number) > 0 ? (body.tail as number) : undefined;
  const at = new Date(d.modifiedAt).toISOString();
  const lines =
    container === 'StorageInitializer'
      ? [
          `${at} | INFO | Downloading model ${String(d.properties.model)}`,
          `${at} | INFO | Model download complete.`,
        ]
      : [
          `${at} | INFO | Starting AzureML Inference Server (azureml-inference-server-http)`,
          `${at} | INFO | Loading MLflow model for chat-completion`,
          ...(d.provisioningState === 'Failed'
            ? [
                `${at} | ERROR | ${d.failureReason ?? 'Deployment failed.'}`,
                `${at} | ERROR | Liveness probe failed; container will be restarted.`,
              ]
            : [
                `${at} | INFO | Model loaded.`,
                `${at} | INFO | Listening on 0.0.0.0:5001 (routes: /score, /liveness, /readiness)`,
              ]),
        ];
  return ok({ content: (tail === undefined ? lines : lines.slice(-tail)).join('\n') });
}

const endpointRoutes: Route[] = [
  arm('PUT', `${WS}/onlineEndpoints/([^/]+)`, 'OnlineEndpoints_CreateOrUpdate', putEndpoint),
  arm('GET', `${WS}/onlineEndpoints/([^/]+)`, 'OnlineEndpoints_Get', (ctx) =>
    ok(endpointBody(ctx, findEndpoint(ctx))),
  ),
  arm('DELETE', `${WS}/onlineEndpoints/([^/]+)`, 'OnlineEndpoints_Delete', deleteEndpoint),
  arm('GET', `${WS}/onlineEndpoints`, 'OnlineEndpoints_List', (ctx) => {
    const endpoints = Object.values(ctx.core.state.endpoints)
      .filter((e) => matchesTagFilter(e.tags, ctx.query.get('tags')))
      .filter((e) => ctx.query.get('name') === null || e.name === ctx.query.get('name'))
      .sort((a, b) => a.createdAt - b.createdAt);
    return ok({ value: endpoints.map((e) => endpointBody(ctx, e)) });
  }),
  arm('POST', `${WS}/onlineEndpoints/([^/]+)/listKeys`, 'OnlineEndpoints_ListKeys', (ctx) => {
    const ep = findEndpoint(ctx);
    if (ep.properties.authMode !== 'Key')
      throw userError(
        `Endpoint '${ep.name}' uses ${String(ep.properties.authMode)} authentication; it has no keys.`,
      );
    return ok({ ...ep.keys });
  }),
  arm(
    'PUT',
    `${WS}/onlineEndpoints/([^/]+)/deployments/([^/]+)`,
    'OnlineDeployments_CreateOrUpdate',
    putDeployment,
  ),
  arm('GET', `${WS}/onlineEndpoints/([^/]+)/deployments/([^/]+)`, 'OnlineDeployments_Get', (ctx) =>
    ok(deploymentBody(ctx, findDeployment(ctx))),
  ),
  arm(
    'DELETE',
    `${WS}/onlineEndpoints/([^/]+)/deployments/([^/]+)`,
    'OnlineDeployments_Delete',
    deleteDeployment,
  ),
  arm('GET', `${WS}/onlineEndpoints/([^/]+)/deployments`, 'OnlineDeployments_List', (ctx) => {
    const ep = findEndpoint(ctx);
    return ok({
      value: Object.values(ctx.core.state.deployments)
        .filter((d) => d.endpoint === ep.name)
        .map((d) => deploymentBody(ctx, d)),
    });
  }),
  arm(
    'POST',
    `${WS}/onlineEndpoints/([^/]+)/deployments/([^/]+)/getLogs`,
    'OnlineDeployments_GetLogs',
    deploymentLogs,
  ),
];

// ---- operation status / result ------------------------------------------------------------------

function findOperation(ctx: RouteContext) {
  const op = ctx.core.state.operations[ctx.params[2]!];
  if (!op) throw new ArmError(404, 'OperationNotFound', `Operation '${ctx.params[2]}' was not found.`);
  return op;
}

const operationRoutes: Route[] = [
  arm(
    'GET',
    `${LOC}/mfeOperationsStatus/([^/]+)`,
    'Operations_GetStatus',
    (ctx) => {
      const op = findOperation(ctx);
      return ok(
        {
          id: `/subscriptions/${ctx.core.config.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${ctx.core.config.location}/mfeOperationsStatus/${op.id}`,
          name: op.id,
          status: op.status,
          startTime: new Date(op.startedAt).toISOString(),
          ...(op.status === 'InProgress'
            ? {}
            : { endTime: new Date(op.doneAt).toISOString(), percentComplete: 100 }),
          ...(op.status === 'Failed' && op.failure
            ? { error: { code: op.failure.code, message: op.failure.message } }
            : {}),
        },
        200,
        op.status === 'InProgress' ? ctx.core.retryAfterHeader() : undefined,
      );
    },
    'location',
  ),
  arm(
    'GET',
    `${LOC}/mfeOperationResults/([^/]+)`,
    'Operations_GetResult',
    (ctx) => {
      const op = findOperation(ctx);
      if (op.status === 'InProgress') return { status: 202, headers: ctx.core.locationHeaders(op) };
      if (op.status === 'Failed' && op.failure) throw new ArmError(400, op.failure.code, op.failure.message);
      return { status: 200 };
    },
    'location',
  ),
];

export const armRoutes: Route[] = [
  ...infraRoutes,
  ...jobRoutes,
  ...modelRoutes,
  ...endpointRoutes,
  ...operationRoutes,
];
