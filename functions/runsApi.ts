// The HTTP API (docs/contracts.md "HTTP API"): start, list, get and cancel runs. Key auth (authLevel function).
import * as df from 'durable-functions';
import { runMetricHistoryDeps, startRunDeps } from '../src/composition.js';
import { handleRunsRequest, RUNS_METHODS, RUNS_ROUTE } from '../src/http/runsApi.js';
import { FunctionName } from '../src/names.js';

df.app.client.http(FunctionName.runsApi, {
  route: RUNS_ROUTE,
  // all of them: the handler answers 405 with Allow and a JSON error (the host's 404 has no body)
  methods: [...RUNS_METHODS],
  authLevel: 'function',
  handler: (request, client, context) =>
    handleRunsRequest(request, context, startRunDeps(client), runMetricHistoryDeps()),
});
