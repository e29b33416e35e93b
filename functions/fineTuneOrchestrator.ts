// The fine-tune orchestration, the serving-line orchestration and their activities. The
// orchestrators are src/orchestration/fineTuneRun.ts and src/orchestration/lineOrchestration.ts;
// every activity is registered from the one contract (src/orchestration/contract.ts), each a
// one-line wrapper over createActivities (src/activities/index.ts), or, for the few that talk to
// other instances, over createClientActivities with the durable client the host binds.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { clientActivities, getServices } from '../src/composition.js';
import { FunctionName } from '../src/names.js';
import {
  ACTIVITY_KEYS,
  Activity,
  CLIENT_ACTIVITY_KEYS,
  ClientActivity,
  invokeActivity,
  invokeClientActivity,
} from '../src/orchestration/contract.js';
import { fineTuneOrchestrator } from '../src/orchestration/fineTuneRun.js';
import { lineOrchestrator } from '../src/orchestration/lineOrchestration.js';

// Read and check every setting when the app starts, so a misconfigured Function App fails at
// start-up with a message naming each bad key rather than on its first request or event.
app.hook.appStart(() => {
  getServices();
});

df.app.orchestration(FunctionName.fineTuneOrchestrator, fineTuneOrchestrator);
df.app.orchestration(FunctionName.lineOrchestrator, lineOrchestrator);

for (const key of ACTIVITY_KEYS) {
  df.app.activity(Activity[key].name, {
    handler: (input: unknown) => invokeActivity(getServices().activities, key, input),
  });
}

const durableClient = df.input.durableClient();
for (const key of CLIENT_ACTIVITY_KEYS) {
  df.app.activity(ClientActivity[key].name, {
    extraInputs: [durableClient],
    handler: (input: unknown, context) =>
      invokeClientActivity(clientActivities(df.getClient(context)), key, input),
  });
}
