// Event Grid Azure ML run events -> JobFinished on the run's orchestration. The Functions host
// answers the subscription validation handshake for app.eventGrid functions itself.
import * as df from 'durable-functions';
import { FunctionName } from '../src/names.js';
import { handleJobEvent, workspaceResourceId } from '../src/runs/jobEvents.js';
import { DurableRunInstances } from '../src/runs/runInstances.js';
import { getServices } from '../src/runs/services.js';

df.app.client.eventGrid(FunctionName.jobEvents, {
  handler: async (event, client, context) => {
    const workspaceId = workspaceResourceId(getServices().config.azureMl);
    await handleJobEvent(event, context, { runs: new DurableRunInstances(client), workspaceId });
  },
});
