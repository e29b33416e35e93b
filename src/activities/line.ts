// The serving line's steps (src/orchestration/lineOrchestration.ts): each returns in seconds; the
// line orchestration waits for provisioning on durable timers, calling lineLook. Every step first
// checks that the endpoint is this app's endpoint for this line (isLineEndpoint): nothing is ever
// done to an endpoint someone else owns. Each step looks before it acts, so a retry or replay is
// safe: creating what exists answers its state, deleting what is gone is done.
import {
  checkInferenceInstance,
  deploymentSpec,
  isLineEndpoint,
  lineEndpointSpec,
  provisioningEnded,
} from '../domain/deployment.js';
import { DomainError, fail, ok, type Result } from '../domain/errors.js';
import type { AzureMlGateway } from '../domain/ports.js';
import type { EndpointInfo } from '../domain/resources.js';
import type { ActivityImplementations, LineLook } from '../orchestration/contract.js';
import { smokeTestMessages } from './deployment.js';
import { expected, type ActivityDeps } from './shared.js';

const DEPLOYMENT_LOG_LINES = 50;

function notLineEndpoint(endpointName: string, line: string): Result<never> {
  return fail({
    code: 'LINE.ENDPOINT_NOT_OWNED',
    message: `endpoint ${endpointName} exists but is not finetune-autopilot's endpoint for line '${line}' (its tags say otherwise); it is left untouched. Delete or rename it, or remove the line.`,
  });
}

async function look(gateway: AzureMlGateway, endpoint: EndpointInfo): Promise<LineLook> {
  const deployments = await gateway.listDeployments(endpoint.name);
  return {
    exists: true,
    provisioningState: endpoint.provisioningState,
    ...(endpoint.scoringUri === undefined ? {} : { scoringUri: endpoint.scoringUri }),
    traffic: endpoint.traffic,
    deployments: deployments.map((d) => ({
      name: d.name,
      provisioningState: d.provisioningState,
      ...(d.model === undefined ? {} : { model: d.model }),
    })),
  };
}

const ABSENT: LineLook = { exists: false, traffic: {}, deployments: [] };

/**
 * ARM refuses an endpoint update while another runs (409 Conflict, "wait for the running
 * operation"): that is worth a retry, not a failed rollout, so it is thrown as a transient fault.
 */
async function busyIsTransient<T>(update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'AZUREML.CONFLICT') {
      throw new Error(`the endpoint is busy with another update (retried): ${error.message}`);
    }
    throw error;
  }
}

export function createLineActivities({
  ports,
  config,
}: ActivityDeps): Pick<
  ActivityImplementations,
  | 'lineEnsureEndpoint'
  | 'lineLook'
  | 'lineStartDeployment'
  | 'lineSetTraffic'
  | 'lineSetTags'
  | 'lineSmokeTest'
  | 'lineHeldOut'
  | 'lineDeleteDeployment'
  | 'lineDeleteEndpoint'
> {
  const { gateway, blobs, scoring } = ports;
  const { fineTune, azureMl: workspace } = config;

  /** The line's endpoint when it exists and is the line's; absent is `undefined`. */
  async function owned(line: string, endpointName: string): Promise<Result<EndpointInfo | undefined>> {
    const endpoint = await gateway.getEndpoint(endpointName);
    if (endpoint === undefined) return ok(undefined);
    return isLineEndpoint(endpoint.tags, line) ? ok(endpoint) : notLineEndpoint(endpointName, line);
  }

  async function present(line: string, endpointName: string): Promise<Result<EndpointInfo>> {
    const endpoint = await owned(line, endpointName);
    if (!endpoint.ok) return endpoint;
    if (endpoint.value === undefined) {
      return fail({
        code: 'DEPLOY.FAILED',
        message: `endpoint ${endpointName} of line '${line}' no longer exists (deleted outside the app)`,
      });
    }
    return ok(endpoint.value);
  }

  async function scoreOn(
    endpoint: EndpointInfo,
    deploymentName: string,
    messages: Parameters<typeof scoring.score>[2],
  ): Promise<string> {
    if (endpoint.scoringUri === undefined) {
      throw new DomainError('DEPLOY.NO_SCORING_URI', `endpoint ${endpoint.name} reports no scoring URI`);
    }
    const key = await gateway.getEndpointKey(endpoint.name);
    return scoring.score(endpoint.scoringUri, key, messages, deploymentName);
  }

  return {
    /** Creates the line's endpoint unless it exists; answers one look at it. */
    lineEnsureEndpoint: ({ line, endpointName, inferenceAllowList }) =>
      expected(async () => {
        const instance = checkInferenceInstance(fineTune.inferenceInstanceType, inferenceAllowList);
        if (!instance.ok) return instance;
        const existing = await owned(line, endpointName);
        if (!existing.ok) return existing;
        if (existing.value !== undefined) return ok(await look(gateway, existing.value));
        const accepted = await gateway.beginCreateEndpoint(
          lineEndpointSpec({ name: endpointName, location: workspace.location, line }),
        );
        return ok({ ...ABSENT, exists: true, provisioningState: accepted.provisioningState });
      }),

    /** The endpoint, its traffic and deployments; a watched deployment that failed is DEPLOY.FAILED with its logs. */
    lineLook: ({ line, endpointName, watch }) =>
      expected(async () => {
        const endpoint = await owned(line, endpointName);
        if (!endpoint.ok) return endpoint;
        if (endpoint.value === undefined) return ok(ABSENT);
        // deleted between the two reads (a line being deleted): absent, as the next look would say
        const seen = await look(gateway, endpoint.value).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === 'AZUREML.NOT_FOUND') return ABSENT;
          throw error;
        });
        const watched = seen.deployments.find((d) => d.name === watch);
        if (watch !== undefined && watched !== undefined && provisioningEnded(watched.provisioningState)) {
          const logs = await gateway
            .getDeploymentLogs(endpointName, watch, DEPLOYMENT_LOG_LINES)
            .catch(() => 'logs unavailable');
          return fail({
            code: 'DEPLOY.FAILED',
            message: `deployment ${endpointName}/${watch} ended ${watched.provisioningState}: see the container logs in details`,
            details: { provisioningState: watched.provisioningState, logs },
          });
        }
        return ok(seen);
      }),

    /** Creates the model's deployment (0% traffic) unless it exists, once the endpoint Succeeded. */
    lineStartDeployment: ({ line, endpointName, deploymentName, modelId, inferenceAllowList }) =>
      expected(async () => {
        const instance = checkInferenceInstance(fineTune.inferenceInstanceType, inferenceAllowList);
        if (!instance.ok) return instance;
        const endpoint = await present(line, endpointName);
        if (!endpoint.ok) return endpoint;
        if (endpoint.value.provisioningState !== 'Succeeded') {
          return fail({
            code: 'DEPLOY.ENDPOINT_NOT_READY',
            message: `endpoint ${endpointName} is ${endpoint.value.provisioningState}, not Succeeded: the deployment waits for it`,
          });
        }
        const existing = await gateway.getDeployment(endpointName, deploymentName);
        if (existing !== undefined) {
          return ok({
            name: deploymentName,
            provisioningState: existing.provisioningState,
            ...(existing.model === undefined ? {} : { model: existing.model }),
          });
        }
        const spec = deploymentSpec({
          endpointName,
          name: deploymentName,
          modelId,
          instanceType: fineTune.inferenceInstanceType,
          instanceCount: fineTune.inferenceInstanceCount,
          location: workspace.location,
        });
        try {
          const accepted = await gateway.beginCreateDeployment(spec);
          return ok({ name: deploymentName, provisioningState: accepted.provisioningState, model: modelId });
        } catch (error) {
          // ARM refused it (a 4xx): nothing was created, so there are no logs to read
          if (!(error instanceof DomainError)) throw error;
          return fail({
            code: 'DEPLOY.FAILED',
            message: `deployment ${endpointName}/${deploymentName} was refused: ${error.message}`,
            ...(error.details === undefined ? {} : { details: error.details }),
          });
        }
      }),

    /** Sets the traffic split exactly (ARM: whole percentages summing to 100, or all 0); unchanged is a no-op. */
    lineSetTraffic: ({ line, endpointName, traffic }) =>
      expected(async () => {
        const endpoint = await present(line, endpointName);
        if (!endpoint.ok) return endpoint;
        const same =
          Object.keys({ ...traffic, ...endpoint.value.traffic }).every(
            (d) => (traffic[d] ?? 0) === (endpoint.value.traffic[d] ?? 0),
          ) && endpoint.value.provisioningState === 'Succeeded';
        const updated = same
          ? endpoint.value
          : await busyIsTransient(() => gateway.setTraffic(endpointName, traffic));
        return ok(await look(gateway, updated));
      }),

    /** Sets or removes the line's tags on its endpoint (the champion a wake redeploys, parked since). */
    lineSetTags: ({ line, endpointName, tags }) =>
      expected(async () => {
        const endpoint = await present(line, endpointName);
        if (!endpoint.ok) return endpoint;
        const changes = Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v ?? undefined]));
        return ok(
          await look(gateway, await busyIsTransient(() => gateway.setEndpointTags(endpointName, changes))),
        );
      }),

    /** Scores the first held-out conversation on one deployment, whatever the traffic split. */
    lineSmokeTest: ({ line, endpointName, deploymentName, testPath }) =>
      expected(async () => {
        const messages = smokeTestMessages((await blobs.readText(testPath)) ?? '');
        if (messages === undefined) {
          return fail({
            code: 'DATASET.NO_TEST_CONVERSATION',
            message: `${testPath} holds no conversation to score`,
          });
        }
        const endpoint = await present(line, endpointName);
        if (!endpoint.ok) return endpoint;
        try {
          const answer = await scoreOn(endpoint.value, deploymentName, messages);
          return ok({ input: messages, answer });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return fail({
            code: 'ROLLOUT.SMOKE_TEST_FAILED',
            message: `deployment ${endpointName}/${deploymentName} did not answer the smoke test: ${error.message}`,
          });
        }
      }),

    /** Scores up to `count` held-out conversations on each deployment; counts the answers. */
    lineHeldOut: ({ line, endpointName, deployments, testPath, count }) =>
      expected(async () => {
        const endpoint = await present(line, endpointName);
        if (!endpoint.ok) return endpoint;
        const conversations = heldOutConversations((await blobs.readText(testPath)) ?? '', count);
        const answered: Record<string, number> = {};
        for (const deployment of deployments) {
          answered[deployment] = 0;
          for (const messages of conversations) {
            try {
              await scoreOn(endpoint.value, deployment, messages);
              answered[deployment] += 1;
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
            }
          }
        }
        return ok({ conversations: conversations.length, answered });
      }),

    /** Starts deleting a deployment that takes no traffic (the caller moved it first); gone is done. */
    lineDeleteDeployment: ({ line, endpointName, deploymentName }) =>
      expected(async () => {
        const endpoint = await owned(line, endpointName);
        if (!endpoint.ok) return endpoint;
        if (endpoint.value === undefined) return ok({ deleted: false });
        if ((endpoint.value.traffic[deploymentName] ?? 0) > 0) {
          return fail({
            code: 'LINE.CONFLICT',
            message: `deployment ${endpointName}/${deploymentName} still takes ${endpoint.value.traffic[deploymentName]}% of the traffic; it is not deleted`,
          });
        }
        const existing = await gateway.getDeployment(endpointName, deploymentName);
        if (existing === undefined) return ok({ deleted: false });
        if (existing.provisioningState !== 'Deleting')
          await gateway.beginDeleteDeployment(endpointName, deploymentName);
        return ok({ deleted: true });
      }),

    /** Starts deleting the line's endpoint (explicit DELETE of the line); gone is done. */
    lineDeleteEndpoint: ({ line, endpointName }) =>
      expected(async () => {
        const endpoint = await owned(line, endpointName);
        if (!endpoint.ok) return endpoint;
        if (endpoint.value === undefined) return ok({ deleted: false });
        if (endpoint.value.provisioningState !== 'Deleting') await gateway.beginDeleteEndpoint(endpointName);
        return ok({ deleted: true });
      }),
  };
}

/** The first `count` held-out conversations, each without its final assistant answer(s). */
export function heldOutConversations(
  testJsonl: string,
  count: number,
): { role: string; content: string }[][] {
  const out: { role: string; content: string }[][] = [];
  for (const line of testJsonl.split('\n')) {
    if (out.length >= count) break;
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { messages?: { role: string; content: string }[] };
    const messages = [...(row.messages ?? [])];
    while (messages.at(-1)?.role === 'assistant') messages.pop();
    if (messages.length > 0) out.push(messages.map(({ role, content }) => ({ role, content })));
  }
  return out;
}
