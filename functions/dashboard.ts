// The operators' dashboard (docs/dashboard.md): GET /api/dashboard and its files. Anonymous, since
// the page holds no data: what it shows it reads from the key-auth API with the key the user types.
import { app } from '@azure/functions';
import { dashboardDeps } from '../src/composition.js';
import { DASHBOARD_METHODS, DASHBOARD_ROUTE, handleDashboardRequest } from '../src/http/dashboard.js';
import { FunctionName } from '../src/names.js';

app.http(FunctionName.dashboard, {
  route: DASHBOARD_ROUTE,
  methods: [...DASHBOARD_METHODS],
  authLevel: 'anonymous',
  handler: (request) => handleDashboardRequest(request, dashboardDeps()),
});
