// Deploys through the activities in the order the orchestrator runs them (startEndpoint, poll
// getDeploymentState, startDeployment, poll, setTraffic), polling every few ms instead of on
// durable timers: for tests that need a serving endpoint on the Azure ML emulator.
import type { Activities } from '../../src/activities/index.js';
import type {
  ActivityResult,
  DeployOutput,
  DeploymentStateOutput,
} from '../../src/orchestration/contract.js';

export interface DeployInput {
  readonly runId: string;
  readonly endpointName: string;
  readonly modelId: string;
  readonly inferenceAllowList?: readonly string[];
}

const POLL_MS = 10;
const MAX_POLLS = 500;

async function until(
  activities: Activities,
  input: DeployInput,
  done: (state: DeploymentStateOutput) => boolean,
): Promise<ActivityResult<DeploymentStateOutput>> {
  for (let i = 0; i < MAX_POLLS; i++) {
    const state = await activities.getDeploymentState({
      runId: input.runId,
      endpointName: input.endpointName,
    });
    if (!state.ok || done(state.value)) return state;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${input.endpointName} did not get there within ${MAX_POLLS} polls`);
}

export async function deployNow(
  activities: Activities,
  input: DeployInput,
): Promise<ActivityResult<DeployOutput>> {
  const { runId, endpointName } = input;
  const endpoint = await activities.startEndpoint({
    runId,
    endpointName,
    ...(input.inferenceAllowList === undefined ? {} : { inferenceAllowList: input.inferenceAllowList }),
  });
  if (!endpoint.ok) return endpoint;
  const ready = await until(activities, input, (s) => s.endpoint === 'Succeeded');
  if (!ready.ok) return ready;
  const deployment = await activities.startDeployment({ runId, endpointName, modelId: input.modelId });
  if (!deployment.ok) return deployment;
  const serving = await until(activities, input, (s) => s.deployment === 'Succeeded');
  if (!serving.ok) return serving;
  return activities.setTraffic({ runId, endpointName });
}
