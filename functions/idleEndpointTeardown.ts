// Timer (%TEARDOWN_SCHEDULE%, an NCRONTAB app setting): delete owned endpoints that had no
// requests in the idle window. It reads the runs in progress through the durable client: an
// endpoint whose run is still deploying or smoke testing it is never idle.
import * as df from 'durable-functions';
import { FunctionName } from '../src/names.js';
import { activeRunIds, DurableRunInstances } from '../src/runs/runInstances.js';
import { getServices } from '../src/runs/services.js';
import { sweepIdleEndpoints } from '../src/runs/teardown.js';

df.app.client.timer(FunctionName.idleEndpointTeardown, {
  schedule: '%TEARDOWN_SCHEDULE%',
  handler: async (_timer, client, context) => {
    const { config, ports } = getServices();
    await sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: config.teardown,
        now: new Date(),
        activeRunIds: () => activeRunIds(new DurableRunInstances(client)),
      },
      context,
    );
  },
});
