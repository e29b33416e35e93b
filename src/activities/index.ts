// The activities of the fine-tune run, assembled from their concerns. The return type is the
// contract's (src/orchestration/contract.ts): a missing activity or a wrong type does not compile.
import type { AppConfig } from '../config.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { createDatasetActivities } from './dataset.js';
import { createDeploymentActivities } from './deployment.js';
import { createLineActivities } from './line.js';
import { createEventActivities } from './events.js';
import { createModelActivities } from './model.js';
import { createRunIndexActivities } from './runIndex.js';
import type { ActivityDeps, ActivityPorts } from './shared.js';
import { createSummaryActivities } from './summary.js';
import { createTrainingActivities } from './training.js';

export type { ActivityPorts } from './shared.js';
export { runBlobPath } from './shared.js';
export { smokeTestMessages } from './deployment.js';

export type Activities = ActivityImplementations;

export function createActivities(
  ports: ActivityPorts,
  config: AppConfig,
  options: Pick<ActivityDeps, 'now' | 'datasetProgressIntervalInMs'> = {},
): ActivityImplementations {
  const deps = { ports, config, ...options };
  return {
    ...createDatasetActivities(deps),
    ...createModelActivities(deps),
    ...createTrainingActivities(deps),
    ...createDeploymentActivities(deps),
    ...createLineActivities(deps),
    ...createSummaryActivities(deps),
    ...createEventActivities(deps),
    ...createRunIndexActivities(deps),
  };
}
