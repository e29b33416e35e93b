// The serving lines API (docs/contracts.md "Lines API"): list, show, wake, park, delete. Key auth.
import * as df from 'durable-functions';
import { linesDeps } from '../src/composition.js';
import { handleLinesRequest, LINES_METHODS, LINES_ROUTE } from '../src/http/linesApi.js';
import { FunctionName } from '../src/names.js';

df.app.client.http(FunctionName.linesApi, {
  route: LINES_ROUTE,
  methods: [...LINES_METHODS],
  authLevel: 'function',
  handler: (request, client, context) => handleLinesRequest(request, context, linesDeps(client)),
});
