// Timer (%TEARDOWN_SCHEDULE%, an NCRONTAB app setting): delete owned endpoints that had no
// requests in the idle window.
import { app } from '@azure/functions';
import { FunctionName } from '../src/names.js';
import { getServices } from '../src/runs/services.js';
import { sweepIdleEndpoints } from '../src/runs/teardown.js';

app.timer(FunctionName.idleEndpointTeardown, {
  schedule: '%TEARDOWN_SCHEDULE%',
  handler: async (_timer, context) => {
    const { config, ports } = getServices();
    await sweepIdleEndpoints(
      {
        gateway: ports.gateway,
        endpointMetrics: ports.endpointMetrics,
        settings: config.teardown,
        now: new Date(),
      },
      context,
    );
  },
});
