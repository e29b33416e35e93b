// deploy, in steps that each return in seconds (a managed deployment provisions for 10-20
// minutes, and the orchestrator waits for it on durable timers, polling getDeploymentState,
// rather than holding a worker), then the smoke test, and cleanup when the run fails after deploy
// began. Each step looks before it creates, so a retry or replay is safe; every step first checks
// that the endpoint is this run's (requireOwnedEndpoint).
import {
  DEPLOYMENT_NAME,
  FULL_TRAFFIC,
  PROVISIONED,
  checkInferenceInstance,
  deploymentSpec,
  endpointSpec,
  provisioningEnded,
} from '../domain/deployment.js';
import { DomainError, fail, ok } from '../domain/errors.js';
import type { ChatMessage } from '../domain/resources.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, isOwnedBy, notOwned, requireOwnedEndpoint, type ActivityDeps } from './shared.js';

const DEPLOYMENT_LOG_LINES = 50;

/** The first held-out conversation, without its final assistant answer(s): what the model must answer. */
export function smokeTestMessages(testJsonl: string): ChatMessage[] | undefined {
  for (const line of testJsonl.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { messages?: ChatMessage[] };
    const messages = [...(row.messages ?? [])];
    while (messages.at(-1)?.role === 'assistant') messages.pop();
    if (messages.length > 0) return messages.map(({ role, content }) => ({ role, content }));
  }
  return undefined;
}

export function createDeploymentActivities({
  ports,
  config,
}: ActivityDeps): Pick<
  ActivityImplementations,
  'startEndpoint' | 'startDeployment' | 'getDeploymentState' | 'setTraffic' | 'smokeTest' | 'cleanup'
> {
  const { gateway: azureMl, blobs } = ports;
  const { fineTune, azureMl: workspace } = config;
  return {
    /** Creates the run's endpoint unless it exists; answers its provisioning state. */
    startEndpoint: ({ runId, endpointName, inferenceAllowList }) =>
      expected(async () => {
        const instance = checkInferenceInstance(fineTune.inferenceInstanceType, inferenceAllowList);
        if (!instance.ok) return instance;
        const existing = await azureMl.getEndpoint(endpointName);
        if (existing !== undefined) {
          if (!isOwnedBy(existing, runId)) return notOwned(endpointName, runId);
          return ok({ provisioningState: existing.provisioningState, created: false });
        }
        const accepted = await azureMl.beginCreateEndpoint(
          endpointSpec({ name: endpointName, location: workspace.location, runId }),
        );
        return ok({ provisioningState: accepted.provisioningState, created: true });
      }),

    /** Creates the deployment unless it exists, once the endpoint Succeeded; answers its state. */
    startDeployment: ({ runId, endpointName, modelId }) =>
      expected(async () => {
        const endpoint = await requireOwnedEndpoint(azureMl, endpointName, runId);
        if (!endpoint.ok) return endpoint;
        const { provisioningState } = endpoint.value;
        if (provisioningState !== PROVISIONED) {
          return fail({
            code: 'DEPLOY.ENDPOINT_NOT_READY',
            message: `endpoint ${endpointName} is ${provisioningState}, not ${PROVISIONED}: the deployment waits for it`,
          });
        }
        const spec = deploymentSpec({
          endpointName,
          modelId,
          instanceType: fineTune.inferenceInstanceType,
          instanceCount: fineTune.inferenceInstanceCount,
          location: workspace.location,
        });
        const existing = await azureMl.getDeployment(endpointName, spec.name);
        if (existing !== undefined) {
          return ok({
            deploymentName: spec.name,
            provisioningState: existing.provisioningState,
            created: false,
          });
        }
        try {
          const accepted = await azureMl.beginCreateDeployment(spec);
          return ok({
            deploymentName: spec.name,
            provisioningState: accepted.provisioningState,
            created: true,
          });
        } catch (error) {
          // ARM refused the deployment (a 4xx): nothing was created, so there are no logs to read
          if (!(error instanceof DomainError)) throw error;
          return fail({
            code: 'DEPLOY.FAILED',
            message: `deployment ${endpointName}/${spec.name} was refused: ${error.message}`,
            ...(error.details === undefined ? {} : { details: error.details }),
          });
        }
      }),

    /** Provisioning states of the endpoint and its deployment; a failed one is DEPLOY.FAILED (with the container logs). */
    getDeploymentState: ({ runId, endpointName }) =>
      expected(async () => {
        const endpoint = await requireOwnedEndpoint(azureMl, endpointName, runId);
        if (!endpoint.ok) return endpoint;
        const { provisioningState } = endpoint.value;
        if (provisioningEnded(provisioningState)) {
          return fail({
            code: 'DEPLOY.FAILED',
            message: `endpoint ${endpointName} ended ${provisioningState}`,
            details: { provisioningState },
          });
        }
        const deployment = await azureMl.getDeployment(endpointName, DEPLOYMENT_NAME);
        if (deployment !== undefined && provisioningEnded(deployment.provisioningState)) {
          const logs = await azureMl
            .getDeploymentLogs(endpointName, DEPLOYMENT_NAME, DEPLOYMENT_LOG_LINES)
            .catch(() => 'logs unavailable');
          return fail({
            code: 'DEPLOY.FAILED',
            message: `deployment ${endpointName}/${DEPLOYMENT_NAME} ended ${deployment.provisioningState}: see the container logs in details`,
            details: { provisioningState: deployment.provisioningState, logs },
          });
        }
        return ok({
          endpoint: provisioningState,
          ...(deployment === undefined ? {} : { deployment: deployment.provisioningState }),
        });
      }),

    /** Sends all traffic to the deployment (a short endpoint update) and answers the scoring URI. */
    setTraffic: ({ runId, endpointName }) =>
      expected(async () => {
        const existing = await requireOwnedEndpoint(azureMl, endpointName, runId);
        if (!existing.ok) return existing;
        const endpoint =
          existing.value.traffic[DEPLOYMENT_NAME] === 100 && existing.value.provisioningState === PROVISIONED
            ? existing.value
            : await azureMl.setTraffic(endpointName, FULL_TRAFFIC);
        if (endpoint.scoringUri === undefined) {
          return fail({
            code: 'DEPLOY.NO_SCORING_URI',
            message: `endpoint ${endpointName} reports no scoring URI`,
          });
        }
        return ok({ name: endpointName, scoringUri: endpoint.scoringUri });
      }),

    /** Scores the first held-out conversation and keeps the answer. */
    smokeTest: ({ endpointName, scoringUri, testPath }) =>
      expected(async () => {
        const messages = smokeTestMessages((await blobs.readText(testPath)) ?? '');
        if (messages === undefined) {
          return fail({
            code: 'DATASET.NO_TEST_CONVERSATION',
            message: `${testPath} holds no conversation to score`,
          });
        }
        const key = await azureMl.getEndpointKey(endpointName);
        const answer = await ports.scoring.score(scoringUri, key, messages);
        return ok({ input: messages, answer });
      }),

    /** Deletes the run's endpoint; absent is done, someone else's is left alone. */
    cleanup: ({ runId, endpointName }) =>
      expected(async () => {
        const endpoint = await azureMl.getEndpoint(endpointName);
        if (endpoint === undefined) return ok({ deleted: false });
        if (!isOwnedBy(endpoint, runId)) return notOwned(endpointName, runId);
        await azureMl.deleteEndpoint(endpointName);
        return ok({ deleted: true });
      }),
  };
}
