// Event Grid Azure ML run events -> JobFinished on the run's orchestration. The Functions host
// answers the subscription validation handshake for app.eventGrid functions itself.
import * as df from 'durable-functions';
import { jobEventDeps } from '../src/composition.js';
import { FunctionName } from '../src/names.js';
import { handleJobEvent } from '../src/runs/jobEvents.js';

df.app.client.eventGrid(FunctionName.jobEvents, {
  handler: async (event, client, context) => {
    await handleJobEvent(event, context, jobEventDeps(client));
  },
});
