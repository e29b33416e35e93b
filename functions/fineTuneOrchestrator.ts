// The fine-tune orchestration and its activities. The orchestrator is src/orchestration/fineTuneRun.ts;
// every activity is registered from the one contract (src/orchestration/contract.ts), each a
// one-line wrapper over createActivities (src/activities/index.ts).
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { FunctionName } from '../src/names.js';
import { ACTIVITY_KEYS, Activity, invokeActivity } from '../src/orchestration/contract.js';
import { fineTuneOrchestrator } from '../src/orchestration/fineTuneRun.js';
import { getServices } from '../src/composition.js';

// Read and check every setting when the app starts, so a misconfigured Function App fails at
// start-up with a message naming each bad key rather than on its first request or event.
app.hook.appStart(() => {
  getServices();
});

df.app.orchestration(FunctionName.fineTuneOrchestrator, fineTuneOrchestrator);

for (const key of ACTIVITY_KEYS) {
  df.app.activity(Activity[key].name, {
    handler: (input: unknown) => invokeActivity(getServices().activities, key, input),
  });
}
