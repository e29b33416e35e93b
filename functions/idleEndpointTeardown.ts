// Timer (%TEARDOWN_SCHEDULE%, an NCRONTAB app setting): delete owned endpoints that had no
// requests in the idle window. It reads the runs in progress through the durable client: an
// endpoint whose run is still deploying or smoke testing it is never idle.
import * as df from 'durable-functions';
import { teardownDeps } from '../src/composition.js';
import { FunctionName } from '../src/names.js';
import { sweepIdleEndpoints } from '../src/runs/teardown.js';

df.app.client.timer(FunctionName.idleEndpointTeardown, {
  schedule: '%TEARDOWN_SCHEDULE%',
  handler: async (_timer, client, context) => {
    await sweepIdleEndpoints(teardownDeps(client, new Date()), context);
  },
});
