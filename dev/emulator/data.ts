// The non-ARM surfaces the app reads: MLflow tracking (runs of a pipeline job and their metrics), the
// azureml registry (discovery + model versions), scoring at an endpoint's scoringUri, and Azure Monitor
// metrics (RequestsPerMinute) computed from the scoring requests counted.
import { createHash } from 'node:crypto';
import type { Route, RouteContext } from './core.js';
import { MONITOR_API_VERSIONS, REGISTRY_API_VERSIONS } from './core.js';
import { ArmError, isRecord, type Reply } from './http.js';
import { METRIC_FACTS, SCORING_FACTS } from './facts.js';
import {
  FINETUNE_STEP,
  jobTimelines,
  statusAt,
  visibleMetrics,
  type MetricPoint,
  type RunStatus,
  type RunTimeline,
} from './jobs.js';
import { deploymentKey, type JobRecord } from './state.js';

const WS_TAIL = String.raw`subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/([^/]+)`;
const MLFLOW = String.raw`/mlflow/v1\.0/${WS_TAIL}/api/2\.0/mlflow`;
const re = (path: string) => new RegExp(`^${path}$`, 'i');

// ---- MLflow ------------------------------------------------------------------------------------

/** MLflow's error shape (not ARM's): `{error_code, message}`. */
class MlflowError extends ArmError {
  override body(): unknown {
    return { error_code: this.code, message: this.message };
  }
}

const MLFLOW_STATUS: Record<RunStatus, string> = {
  NotStarted: 'SCHEDULED',
  Queued: 'SCHEDULED',
  Running: 'RUNNING',
  CancelRequested: 'RUNNING',
  Completed: 'FINISHED',
  Failed: 'FAILED',
  Canceled: 'KILLED',
};

function latestPerKey(points: MetricPoint[]): MetricPoint[] {
  const latest = new Map<string, MetricPoint>();
  for (const p of points) {
    const seen = latest.get(p.key);
    if (!seen || p.step > seen.step || (p.step === seen.step && p.timestamp >= seen.timestamp))
      latest.set(p.key, p);
  }
  return [...latest.values()];
}

function mlflowRun(ctx: RouteContext, job: JobRecord, run: RunTimeline): unknown {
  const now = ctx.core.now();
  const status = statusAt(run, now);
  const finished = ['Completed', 'Failed', 'Canceled'].includes(status);
  const experimentId = ctx.core.experimentId(job.experimentName);
  const runName = run.step ?? job.name;
  const tags: Record<string, string> = {
    'mlflow.runName': runName,
    'mlflow.user': 'emulator',
    ...(run.kind === 'pipeline'
      ? {
          ...((job.properties.tags ?? {}) as Record<string, string>),
          'azureml.runsource': 'azureml.PipelineRun',
        }
      : {
          'mlflow.parentRunId': run.parentRunId!,
          'azureml.nodeid': run.step!,
          'azureml.runsource': run.kind === 'node' ? 'azureml.PipelineRun' : 'azureml.StepRun',
        }),
  };
  const params =
    run.step === FINETUNE_STEP
      ? Object.entries(job.resolved.literals).map(([key, value]) => ({ key, value }))
      : [];
  return {
    info: {
      run_id: run.runId,
      run_uuid: run.runId,
      run_name: runName,
      experiment_id: experimentId,
      user_id: 'emulator',
      status: MLFLOW_STATUS[status],
      start_time: run.startedAt,
      ...(finished && run.endedAt !== undefined ? { end_time: run.endedAt } : {}),
      artifact_uri: `azureml://experiments/${job.experimentName}/runs/${run.runId}/artifacts`,
      lifecycle_stage: 'active',
    },
    data: {
      metrics: latestPerKey(visibleMetrics(job, run, now)),
      params,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    },
  };
}

/** Every run the emulator knows that has started by now: pipeline runs and their step runs. */
function allRuns(ctx: RouteContext): { job: JobRecord; run: RunTimeline }[] {
  const now = ctx.core.now();
  return Object.values(ctx.core.state.jobs).flatMap((job) =>
    jobTimelines(job)
      .filter((run) => run.kind === 'pipeline' || (run.startedAt ?? Infinity) <= now)
      .map((run) => ({ job, run })),
  );
}

function findRun(ctx: RouteContext, runId: string | null) {
  if (runId === null || runId === '')
    throw new MlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.");
  const found = allRuns(ctx).find((r) => r.run.runId === runId);
  if (!found) throw new MlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found.`);
  return found;
}

/** The filters this emulator understands: by parent run id, or by run name; combined with AND. */
function runFilter(filter: string): (job: JobRecord, run: RunTimeline) => boolean {
  if (filter.trim() === '') return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match =
      /^\s*(tags\.mlflow\.parentRunId|tags\.`mlflow\.parentRunId`|attributes\.run_name|run_name|tags\.mlflow\.runName)\s*=\s*['"]([^'"]*)['"]\s*$/i.exec(
        clause,
      );
    if (!match)
      throw new MlflowError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Unsupported filter '${clause.trim()}': this emulator supports tags.mlflow.parentRunId = '<id>' and attributes.run_name = '<name>'.`,
      );
    const [, field, value] = match as unknown as [string, string, string];
    return field.toLowerCase().includes('parentrunid')
      ? (_job: JobRecord, run: RunTimeline) => run.parentRunId === value
      : (job: JobRecord, run: RunTimeline) => (run.step ?? job.name) === value;
  });
  return (job, run) => clauses.every((c) => c(job, run));
}

const mlflowRoutes: Route[] = [
  {
    method: 'POST',
    pattern: re(`${MLFLOW}/runs/search`),
    operation: 'MLflow_SearchRuns',
    auth: 'arm',
    scope: 'workspace',
    handle: (ctx) => {
      const body = isRecord(ctx.body) ? ctx.body : {};
      const filter = typeof body.filter === 'string' ? body.filter : '';
      const max = typeof body.max_results === 'number' && body.max_results > 0 ? body.max_results : 1000;
      const matches = runFilter(filter);
      const runs = allRuns(ctx)
        .filter(({ job, run }) => matches(job, run))
        .sort((a, b) => (b.run.startedAt ?? 0) - (a.run.startedAt ?? 0))
        .slice(0, max)
        .map(({ job, run }) => mlflowRun(ctx, job, run));
      // MLflow (protobuf JSON) leaves out an empty repeated field: no match answers `{}`.
      return { status: 200, body: runs.length > 0 ? { runs } : {} };
    },
  },
  {
    method: 'GET',
    pattern: re(`${MLFLOW}/runs/get`),
    operation: 'MLflow_GetRun',
    auth: 'arm',
    scope: 'workspace',
    handle: (ctx) => {
      const { job, run } = findRun(ctx, ctx.query.get('run_id') ?? ctx.query.get('run_uuid'));
      return { status: 200, body: { run: mlflowRun(ctx, job, run) } };
    },
  },
  {
    method: 'GET',
    pattern: re(`${MLFLOW}/metrics/get-history`),
    operation: 'MLflow_GetMetricHistory',
    auth: 'arm',
    scope: 'workspace',
    handle: (ctx) => {
      const { job, run } = findRun(ctx, ctx.query.get('run_id') ?? ctx.query.get('run_uuid'));
      const key = ctx.query.get('metric_key');
      if (key === null || key === '')
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          "Missing value for required parameter 'metric_key'.",
        );
      const metrics = visibleMetrics(job, run, ctx.core.now()).filter((p) => p.key === key);
      return { status: 200, body: metrics.length > 0 ? { metrics } : {} };
    },
  },
];

// ---- azureml registry ----------------------------------------------------------------------------

const registryRoutes: Route[] = [
  {
    method: 'GET',
    pattern: re('/registrymanagement/v1\\.0/registries/([^/]+)/discovery'),
    operation: 'Registry_Discovery',
    auth: 'arm',
    scope: 'none',
    handle: (ctx) => {
      const registry = ctx.core.config.registry;
      if (ctx.params[0] !== registry.name)
        throw new ArmError(404, 'RegistryNotFound', `Registry '${ctx.params[0]}' was not found.`);
      return {
        status: 200,
        body: {
          registryName: registry.name,
          tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
          primaryRegion: ctx.core.config.location,
          regions: [ctx.core.config.location],
          registryId: '55555555-5555-5555-5555-555555555555',
          subscriptionId: registry.subscriptionId,
          resourceGroup: registry.resourceGroup,
          primaryRegionResourceProviderUri: `${ctx.core.baseUrl}/`,
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: re(
      String.raw`/mferp/managementfrontend/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/registries/([^/]+)/models/([^/]+)/versions(?:/([^/]+))?`,
    ),
    operation: 'RegistryModelVersions_List',
    auth: 'arm',
    apiVersions: REGISTRY_API_VERSIONS,
    scope: 'none',
    handle: (ctx) => {
      const registry = ctx.core.config.registry;
      const [sub, rg, name, model, version] = ctx.params;
      if (
        sub !== registry.subscriptionId ||
        rg?.toLowerCase() !== registry.resourceGroup.toLowerCase() ||
        name !== registry.name
      ) {
        throw new ArmError(
          404,
          'RegistryNotFound',
          `Registry '${name}' was not found in subscription '${sub}', resource group '${rg}'.`,
        );
      }
      const base = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/registries/${name}/models/${model}/versions`;
      const toBody = (m: (typeof registry.models)[number]) => ({
        id: `${base}/${m.version}`,
        name: m.version,
        type: 'Microsoft.MachineLearningServices/registries/models/versions',
        systemData: {
          createdAt: m.createdTime,
          createdBy: 'azureml',
          createdByType: 'User',
          lastModifiedAt: m.createdTime,
        },
        properties: {
          description: m.description ?? null,
          tags: m.tags,
          properties: m.properties ?? {},
          isArchived: m.isArchived ?? false,
          isAnonymous: false,
          modelType: 'mlflow_model',
          modelUri: `azureml://registries/${name}/models/${m.name}/versions/${m.version}`,
          flavors: { python_function: { data: { loader_module: 'mlflow.transformers' } } },
        },
      });
      const versions = registry.models.filter((m) => m.name === model);
      if (version !== undefined && version !== '') {
        const one = versions.find((m) => m.version === version);
        if (!one)
          throw new ArmError(
            404,
            'NotFound',
            `Model '${model}' version '${version}' was not found in registry '${name}'.`,
          );
        return { status: 200, body: toBody(one) };
      }
      const order = (ctx.query.get('$orderBy') ?? 'createdtime desc').toLowerCase();
      versions.sort((a, b) => Date.parse(a.createdTime) - Date.parse(b.createdTime));
      if (order.endsWith('desc')) versions.reverse();
      const top = Number(ctx.query.get('$top') ?? 'NaN');
      const page = Number.isInteger(top) && top > 0 ? versions.slice(0, top) : versions;
      return { status: 200, body: { value: page.map(toBody), nextLink: null } };
    },
  },
  {
    // A registry component version carries its spec (properties.componentSpec, with the declared inputs),
    // so a client can read what a pinned version accepts before it submits.
    method: 'GET',
    pattern: re(
      String.raw`/mferp/managementfrontend/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/registries/([^/]+)/components/([^/]+)/versions(?:/([^/]+))?`,
    ),
    operation: 'RegistryComponentVersions_List',
    auth: 'arm',
    apiVersions: REGISTRY_API_VERSIONS,
    scope: 'none',
    handle: (ctx) => {
      const registry = ctx.core.config.registry;
      const [sub, rg, name, component, version] = ctx.params;
      if (
        sub !== registry.subscriptionId ||
        rg?.toLowerCase() !== registry.resourceGroup.toLowerCase() ||
        name !== registry.name
      ) {
        throw new ArmError(
          404,
          'RegistryNotFound',
          `Registry '${name}' was not found in subscription '${sub}', resource group '${rg}'.`,
        );
      }
      const served = ctx.core.servedComponents()[component!];
      if (served === undefined)
        throw new ArmError(404, 'NotFound', `Component '${component}' was not found in registry '${name}'.`);
      const base = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/registries/${name}/components/${component}/versions`;
      const toBody = (v: (typeof served.versions)[string]) => ({
        id: `${base}/${v.version}`,
        name: v.version,
        type: 'Microsoft.MachineLearningServices/registries/components/versions',
        systemData: {
          createdAt: new Date(Date.parse(v.committedAt)).toISOString(),
          createdBy: 'azureml',
          createdByType: 'User',
          lastModifiedAt: new Date(Date.parse(v.committedAt)).toISOString(),
        },
        properties: {
          description: null,
          tags: {},
          properties: {},
          isArchived: false,
          isAnonymous: false,
          componentSpec: {
            $schema: 'https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json',
            name: v.name,
            version: v.version,
            type: 'pipeline',
            display_name: 'Chat Completion Pipeline',
            inputs: v.inputs,
            outputs: v.outputs,
            jobs: v.jobs,
          },
        },
      });
      if (version !== undefined && version !== '') {
        const one = served.versions[version];
        if (!one)
          throw new ArmError(
            404,
            'NotFound',
            `Component '${component}' version '${version}' was not found in registry '${name}' (versions: ${Object.keys(served.versions).join(', ')}).`,
          );
        return { status: 200, body: toBody(one) };
      }
      const versions = Object.values(served.versions).sort(
        (a, b) => Date.parse(a.committedAt) - Date.parse(b.committedAt),
      );
      if ((ctx.query.get('$orderBy') ?? 'createdtime desc').toLowerCase().endsWith('desc'))
        versions.reverse();
      const top = Number(ctx.query.get('$top') ?? 'NaN');
      const page = Number.isInteger(top) && top > 0 ? versions.slice(0, top) : versions;
      return { status: 200, body: { value: page.map(toBody), nextLink: null } };
    },
  },
];

// ---- scoring ---------------------------------------------------------------------------------------

const MINUTE_MS = 60_000;

/** A deterministic answer, different per prompt and per deployment, shaped like a chat completion. */
export function completionFor(deployment: string, lastUserMessage: string): string {
  const digest = createHash('sha256').update(`${deployment}\n${lastUserMessage}`).digest();
  const openers = ['Sure.', 'Good question.', 'Here is a short answer.', 'Happy to help.'];
  const topic = lastUserMessage.trim().replace(/\s+/g, ' ').slice(0, 80);
  return `${openers[digest[0]! % openers.length]} You asked: "${topic}". In short: it depends on the details, but the key points are clarity, context and a concrete next step.`;
}

function score(ctx: RouteContext): Reply {
  const { core } = ctx;
  const name = ctx.params[0]!;
  const ep = core.state.endpoints[name];
  const fail = (status: number, code: string, message: string): never => {
    throw new ArmError(status, code, message);
  };
  if (!ep || ep.provisioningState === 'Creating' || ep.provisioningState === 'Deleting')
    fail(404, 'EndpointNotFound', `Endpoint '${name}' was not found.`);
  const auth = ctx.headers.authorization ?? '';
  const key = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  if (key === undefined || (key !== ep!.keys.primaryKey && key !== ep!.keys.secondaryKey)) {
    fail(
      401,
      'Unauthorized',
      'Invalid authentication: the request needs the endpoint key as "Authorization: Bearer <key>".',
    );
  }
  const traffic = (ep!.properties.traffic ?? {}) as Record<string, number>;
  const pinned = ctx.headers['azureml-model-deployment'];
  let deployment: string | undefined;
  if (typeof pinned === 'string' && pinned !== '') deployment = pinned;
  else {
    // Weighted by traffic, deterministic: the n-th request to this endpoint takes percent band
    // (37 n mod 100), a permutation of 0..99 that spreads even the first few requests.
    const total = Object.entries(core.state.requests)
      .filter(([key]) => key.startsWith(`${name}|`))
      .reduce((sum, [, count]) => sum + count, 0);
    let band = (total * 37) % 100;
    for (const [d, share] of Object.entries(traffic)) {
      if (share <= 0) continue;
      if (band < share) {
        deployment = d;
        break;
      }
      band -= share;
    }
  }
  const d = deployment === undefined ? undefined : core.state.deployments[deploymentKey(name, deployment)];
  // A deployment being updated keeps serving, as a rolling update does.
  if (!d || (d.provisioningState !== 'Succeeded' && d.provisioningState !== 'Updating')) {
    fail(
      404,
      'NoValidDeployments',
      'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.',
    );
  }
  // Two documented request shapes (facts/scoring.json): one conversation, `input_string: [{role,
  // content}, ...]` (the registry's model notes), or a list of conversations, `input_string: [[{role,
  // content}, ...]]` (the fine-tuning notebook). The response for several conversations is not
  // documented, so only one conversation per request is answered.
  const body = ctx.body;
  const shape =
    'Expected {"input_data": {"input_string": [{"role": ..., "content": ...}, ...], "parameters": {...}}} (one conversation) or {"input_data": {"input_string": [[{"role": ..., "content": ...}, ...]], "parameters": {...}}} (a list of one conversation).';
  const input = isRecord(body) && isRecord(body.input_data) ? body.input_data.input_string : undefined;
  if (!Array.isArray(input) || input.length === 0) fail(400, 'BadRequest', shape);
  const list = input as unknown[];
  let messages: unknown[];
  let at: string;
  if (list.every((c) => Array.isArray(c))) {
    if (list.length > 1)
      fail(
        400,
        'BadRequest',
        `input_data.input_string holds ${list.length} conversations; send one conversation per request.`,
      );
    messages = list[0] as unknown[];
    at = 'input_data.input_string[0]';
    if (messages.length === 0) fail(400, 'BadRequest', `${at} is an empty conversation. ${shape}`);
  } else if (list.some((c) => Array.isArray(c))) {
    fail(400, 'BadRequest', `input_data.input_string mixes messages and conversations. ${shape}`);
  } else {
    messages = list;
    at = 'input_data.input_string';
  }
  const roles = SCORING_FACTS.roles;
  messages!.forEach((m, i) => {
    if (
      !isRecord(m) ||
      typeof m.role !== 'string' ||
      !roles.includes(m.role) ||
      typeof m.content !== 'string'
    ) {
      fail(
        400,
        'BadRequest',
        `${at!}[${i}] must be {"role": ${roles.map((r) => `"${r}"`).join('|')}, "content": "<text>"}.`,
      );
    }
  });
  const lastUser = [...(messages! as { role: string; content: string }[])]
    .reverse()
    .find((m) => m.role === 'user');
  const minute = Math.floor(core.now() / MINUTE_MS) * MINUTE_MS;
  const countKey = `${name}|${d!.name}|${minute}`;
  core.state.requests[countKey] = (core.state.requests[countKey] ?? 0) + 1;
  core.persist();
  return {
    status: 200,
    body: { output: completionFor(d!.name, lastUser?.content ?? '') },
    headers: { 'azureml-model-deployment': d!.name },
  };
}

const scoringRoutes: Route[] = [
  {
    method: 'POST',
    pattern: re('/score/([^/]+)'),
    operation: 'Scoring_Score',
    auth: 'key',
    scope: 'none',
    handle: score,
  },
];

// ---- Azure Monitor metrics ---------------------------------------------------------------------------

const METRIC = METRIC_FACTS.metric.name;
const AGGREGATIONS = ['Total', 'Average', 'Count', 'Maximum', 'Minimum'] as const;
type Aggregation = (typeof AGGREGATIONS)[number];
const AGGREGATION_FIELD: Record<Aggregation, string> = {
  Total: 'total',
  Average: 'average',
  Count: 'count',
  Maximum: 'maximum',
  Minimum: 'minimum',
};

/** ISO-8601 durations the metrics API takes for `interval` (PT1M, PT5M, PT1H, P1D...). */
function durationMs(iso: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(iso);
  if (!match || iso.toUpperCase() === 'P' || iso.toUpperCase() === 'PT') return undefined;
  const [, d, h, m, s] = match;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function metrics(ctx: RouteContext): Reply {
  const { core } = ctx;
  const resourceId = ctx.params[0]!;
  const endpointName = ctx.params[4]!;
  const badRequest = (message: string) => new ArmError(400, 'BadRequest', message);
  if (!core.state.endpoints[endpointName]) throw core.notFound('onlineEndpoints', endpointName);
  const names = (ctx.query.get('metricnames') ?? METRIC).split(',').map((n) => n.trim());
  const unknown = names.find((n) => n.toLowerCase() !== METRIC.toLowerCase());
  if (unknown !== undefined) {
    throw badRequest(
      `Failed to find metric configuration for provider: Microsoft.MachineLearningServices, resource Type: workspaces/onlineEndpoints, metric: ${unknown}, Valid metrics: ${METRIC}`,
    );
  }
  const now = core.now();
  const timespan = ctx.query.get('timespan');
  let start = now - 60 * MINUTE_MS;
  let end = now;
  if (timespan !== null) {
    const [a, b] = timespan.split('/');
    start = Date.parse(a ?? '');
    end = Date.parse(b ?? '');
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start)
      throw badRequest(
        `Invalid timespan '${timespan}': expected <start ISO-8601>/<end ISO-8601> with start before end.`,
      );
  }
  const intervalText = ctx.query.get('interval') ?? 'PT1M';
  const interval = intervalText.toUpperCase() === 'FULL' ? end - start : durationMs(intervalText);
  if (interval === undefined || interval < MINUTE_MS || interval % MINUTE_MS !== 0) {
    throw badRequest(
      `Invalid interval '${intervalText}': the time grain of ${METRIC} is PT1M, use a whole number of minutes (PT1M, PT5M, PT1H...).`,
    );
  }
  const aggregations = (ctx.query.get('aggregation') ?? METRIC_FACTS.metric.defaultAggregation)
    .split(',')
    .map((raw) => {
      const found = AGGREGATIONS.find((a) => a.toLowerCase() === raw.trim().toLowerCase());
      if (!found) throw badRequest(`Invalid aggregation '${raw}': use ${AGGREGATIONS.join(', ')}.`);
      return found;
    });
  const filter = ctx.query.get('$filter');
  /** undefined: one series for the endpoint; '*': one per deployment; a name: that deployment's. */
  let split: string | undefined;
  if (filter !== null && filter.trim() !== '') {
    const match = /^\s*deployment\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (!match)
      throw badRequest(
        `Unsupported $filter '${filter}': this emulator supports deployment eq '<name>' and deployment eq '*'.`,
      );
    split = match[1]!;
  }

  // Per-minute counts for this endpoint, per deployment. A minute is only reported once its data is
  // ingested: metricsLatencySeconds after the minute ends (Azure Monitor's data arrives late).
  const ingestedBefore = now - (core.config.metricsLatencySeconds ?? 0) * 1000;
  const perMinute = new Map<string, Map<number, number>>();
  for (const [key, count] of Object.entries(core.state.requests)) {
    const [ep, deployment, minute] = key.split('|') as [string, string, string];
    if (ep !== endpointName) continue;
    if (Number(minute) + MINUTE_MS > ingestedBefore && (core.config.metricsLatencySeconds ?? 0) > 0) continue;
    const series = perMinute.get(deployment) ?? new Map<number, number>();
    series.set(Number(minute), (series.get(Number(minute)) ?? 0) + count);
    perMinute.set(deployment, series);
  }
  const first = Math.floor(start / MINUTE_MS) * MINUTE_MS;
  // A resource provider may declare a metric fillGapWithZero (Azure/azure-rest-api-specs
  // MetricSpecification: "zero will be returned for time duration where no metric is emitted");
  // whether RequestsPerMinute does is unconfirmed, so it is a setting: with it, an ingested minute
  // of the endpoint's life without requests reports 0; without it, the timestamp alone.
  const fillFrom = core.state.endpoints[endpointName].createdAt;
  const zeroFilled = (m: number) =>
    core.config.metricsFillGapWithZero === true &&
    m >= Math.floor(fillFrom / MINUTE_MS) * MINUTE_MS &&
    m + MINUTE_MS <= ingestedBefore;
  const bucketsFor = (minutes: Map<number, number>[]) => {
    const data: Record<string, unknown>[] = [];
    for (let t = first; t < end; t += interval) {
      const samples: number[] = [];
      for (let m = t; m < t + interval && m < end; m += MINUTE_MS) {
        const values = minutes.map((s) => s.get(m)).filter((v): v is number => v !== undefined);
        if (values.length > 0) samples.push(values.reduce((a, b) => a + b, 0));
        else if (zeroFilled(m)) samples.push(0);
      }
      const point: Record<string, unknown> = { timeStamp: isoSeconds(t) };
      // No request in the bucket: Azure Monitor returns the timestamp alone (no value), not 0.
      if (samples.length > 0) {
        const total = samples.reduce((a, b) => a + b, 0);
        const values: Record<Aggregation, number> = {
          Total: total,
          Average: total / samples.length,
          Count: samples.length,
          Maximum: Math.max(...samples),
          Minimum: Math.min(...samples),
        };
        for (const a of aggregations) point[AGGREGATION_FIELD[a]] = values[a];
      }
      data.push(point);
    }
    return data;
  };
  const timeseries =
    split === undefined
      ? [{ metadatavalues: [], data: bucketsFor([...perMinute.values()]) }]
      : [...perMinute.entries()]
          .filter(([deployment]) => split === '*' || deployment === split)
          .map(([deployment, series]) => ({
            metadatavalues: [
              { name: { value: 'deployment', localizedValue: 'deployment' }, value: deployment },
            ],
            data: bucketsFor([series]),
          }));
  return {
    status: 200,
    body: {
      cost: Math.ceil((end - start) / MINUTE_MS),
      timespan: `${isoSeconds(start)}/${isoSeconds(end)}`,
      interval: intervalText,
      namespace: METRIC_FACTS.metric.resourceType,
      resourceregion: core.config.location,
      value: [
        {
          id: `${resourceId}/providers/Microsoft.Insights/metrics/${METRIC}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: METRIC, localizedValue: 'Requests Per Minute' },
          displayDescription: 'The number of requests sent to online endpoint within a minute',
          unit: METRIC_FACTS.metric.unit,
          timeseries,
          errorCode: 'Success',
        },
      ],
    },
  };
}

const metricsRoutes: Route[] = [
  {
    method: 'GET',
    pattern: re(String.raw`(/${WS_TAIL}/onlineEndpoints/([^/]+))/providers/microsoft\.insights/metrics`),
    operation: 'Metrics_List',
    auth: 'arm',
    apiVersions: MONITOR_API_VERSIONS,
    scope: 'none',
    handle: (ctx) => {
      const [, sub, rg, ws] = ctx.params;
      const c = ctx.core.config;
      if (
        sub !== c.subscriptionId ||
        rg?.toLowerCase() !== c.resourceGroup.toLowerCase() ||
        ws?.toLowerCase() !== c.workspace.toLowerCase()
      ) {
        throw new ArmError(404, 'ResourceNotFound', `The resource '${ctx.params[0]}' was not found.`);
      }
      return metrics(ctx);
    },
  },
];

export const dataRoutes: Route[] = [...mlflowRoutes, ...registryRoutes, ...scoringRoutes, ...metricsRoutes];
