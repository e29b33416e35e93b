import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { createPorts, type Ports } from '../../src/adapters/index.js';
import { STATIC_TOKEN } from '../../src/adapters/credential.js';
import { validateAndPrepareDataset } from '../../src/adapters/dataset.js';
import { loadConfig } from '../../src/config.js';
import { RecordingServer } from '../support/recordingServer.js';
import { startAzuriteBlob, type AzuriteBlob } from '../support/azurite.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/rg-autopilot-local/providers/Microsoft.MachineLearningServices/workspaces/mlw-autopilot-local`;

let server: RecordingServer;
let azurite: AzuriteBlob;
let ports: Ports;

beforeAll(async () => {
  [server, azurite] = await Promise.all([RecordingServer.start(), startAzuriteBlob()]);
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient('training-data')
    .create();
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    TRAINING_CONTAINER: 'training-data',
    AZURE_SUBSCRIPTION_ID: SUB,
    AZUREML_RESOURCE_GROUP: 'rg-autopilot-local',
    AZUREML_WORKSPACE: 'mlw-autopilot-local',
    AZUREML_LOCATION: 'eastus',
    ARM_ENDPOINT: server.baseUrl,
    AZUREML_CREDENTIAL: 'static',
    ARM_CA_CERT_PATH: server.caPath,
    AZUREML_REGISTRY_DISCOVERY_URL: server.baseUrl,
  });
  ports = createPorts(config, {
    retry: { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 5 },
    lroPollIntervalInMs: 5,
  });
});
afterAll(async () => {
  await Promise.all([server.close(), azurite.close()]);
});

describe('createPorts', () => {
  it('wires every port from the settings: static token, trusted CA, Azurite container', async () => {
    const host = new URL(server.baseUrl).host;
    server.on('GET', WS_PATH, {
      status: 200,
      body: {
        name: 'mlw-autopilot-local',
        properties: { mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${WS_PATH}` },
      },
    });
    server.on('GET', `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow/runs/get`, { status: 404 });
    server.on('POST', `/mlflow/v1.0${WS_PATH}/api/2.0/mlflow/runs/search`, (req) =>
      req.body.includes("'ft-1'")
        ? {
            status: 200,
            body: {
              runs: [
                {
                  info: { run_id: 'c1', run_name: 'finetune' },
                  data: { metrics: [{ key: 'eval_loss', value: 0.9 }] },
                },
              ],
            },
          }
        : { status: 200, body: { runs: [] } },
    );
    server.on('GET', `${WS_PATH}/computes/gpu-cluster`, {
      status: 200,
      body: {
        name: 'gpu-cluster',
        properties: { computeType: 'AmlCompute', provisioningState: 'Succeeded' },
      },
    });

    expect(await ports.gateway.getCompute('gpu-cluster')).toMatchObject({ provisioningState: 'Succeeded' });
    expect(await ports.runMetrics.getJobMetrics('ft-1')).toEqual({ 'finetune/eval_loss': 0.9 });
    expect(await ports.runMetrics.getJobMetrics('ft-1')).toEqual({ 'finetune/eval_loss': 0.9 });
    // The tracking URI is read once per process.
    expect(server.recorded('GET', WS_PATH)).toHaveLength(1);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${STATIC_TOKEN}`)).toBe(true);

    await ports.blobs.writeText('runs/ft-1/summary.json', '{}');
    expect(await ports.blobs.readText('runs/ft-1/summary.json')).toBe('{}');
  });

  it('carries the one-pass dataset gate of adapters/dataset.ts as the datasets port', () => {
    expect(ports.datasets).toEqual({ validateAndPrepare: validateAndPrepareDataset });
  });
});
