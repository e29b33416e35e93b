// Event Grid Microsoft.Storage.BlobCreated (subscription filtered on the incoming/ prefix) -> start
// the dataset's run. The Functions host answers Event Grid's subscription validation handshake for
// app.eventGrid functions itself (webhook /runtime/webhooks/eventgrid?functionName=datasetUploaded).
import * as df from 'durable-functions';
import { startRunDeps } from '../src/composition.js';
import { FunctionName } from '../src/names.js';
import { handleDatasetUploaded } from '../src/runs/datasetUploaded.js';

df.app.client.eventGrid(FunctionName.datasetUploaded, {
  handler: async (event, client, context) => {
    await handleDatasetUploaded(event, context, startRunDeps(client));
  },
});
