import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, loadCliSettings, loadConfig, loadFineTuneSettings } from '../src/config.js';

const sample = JSON.parse(
  readFileSync(new URL('../local.settings.sample.json', import.meta.url), 'utf8'),
) as {
  Values: Record<string, string>;
};

describe('loadConfig', () => {
  it('accepts the local sample settings', () => {
    const config = loadConfig(sample.Values);
    expect(config.azureMl.workspace).toBe('mlw-autopilot-local');
    expect(config.azureMl.credential).toBe('static');
    expect(config.storage.trainingContainer).toBe('training-data');
    expect(config.fineTune.jobPollIntervalSeconds).toBe(5);
    expect(config.teardown.dryRun).toBe(false);
    expect(config.fineTune.gate).toBeUndefined();
  });

  it('returns frozen settings', () => {
    const config = loadConfig(sample.Values);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.azureMl)).toBe(true);
  });

  it('names every missing or malformed key at once', () => {
    const env = {
      ...sample.Values,
      AZUREML_WORKSPACE: '',
      JOB_POLL_INTERVAL_SECONDS: 'soon',
      TEARDOWN_DRY_RUN: 'maybe',
    };
    try {
      loadConfig(env);
      expect.unreachable('loadConfig should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'AZUREML_WORKSPACE is required but not set',
        "JOB_POLL_INTERVAL_SECONDS must be a whole number from 1 to 86400, got 'soon'",
        "TEARDOWN_DRY_RUN must be true or false, got 'maybe'",
      ]);
    }
  });

  it('builds the blob URL for identity-based storage', () => {
    const { AzureWebJobsStorage: _, ...rest } = sample.Values;
    const config = loadConfig({ ...rest, AzureWebJobsStorage__accountName: 'stautopilot' });
    expect(config.storage.blobServiceUrl).toBe('https://stautopilot.blob.core.windows.net');
    expect(config.storage.connectionString).toBeUndefined();
  });

  it('builds the table URL (the run index) for identity-based storage from the account name', () => {
    const { AzureWebJobsStorage: _, ...rest } = sample.Values;
    const config = loadConfig({ ...rest, AzureWebJobsStorage__accountName: 'stautopilot' });
    expect(config.storage.tableServiceUrl).toBe('https://stautopilot.table.core.windows.net');
  });

  it('takes the table URL as given, or from a blob URL of another cloud', () => {
    const { AzureWebJobsStorage: _, ...rest } = sample.Values;
    const given = loadConfig({
      ...rest,
      AzureWebJobsStorage__accountName: 'stautopilot',
      AzureWebJobsStorage__tableServiceUri: 'https://tables.example.net',
    });
    const china = loadConfig({
      ...rest,
      AzureWebJobsStorage__blobServiceUri: 'https://stcn01.blob.core.chinacloudapi.cn',
    });
    expect(given.storage.tableServiceUrl).toBe('https://tables.example.net');
    expect(china.storage.tableServiceUrl).toBe('https://stcn01.table.core.chinacloudapi.cn');
  });

  it('fails at start when no table URL can be told from a path-style blob URL', () => {
    const { AzureWebJobsStorage: _, ...rest } = sample.Values;
    expect(() =>
      loadConfig({ ...rest, AzureWebJobsStorage__blobServiceUri: 'http://127.0.0.1:10000/devstoreaccount1' }),
    ).toThrow(
      "invalid settings: AzureWebJobsStorage__tableServiceUri is required: the run index lives in the storage account's tables, and AzureWebJobsStorage__blobServiceUri does not name them",
    );
  });

  it('names the run index table RUN_INDEX_TABLE, runindex by default, and refuses a name Table Storage would not take', () => {
    expect(loadConfig(sample.Values).runIndexTable).toBe('runindex');
    expect(loadConfig({ ...sample.Values, RUN_INDEX_TABLE: 'autopilotRuns2' }).runIndexTable).toBe(
      'autopilotRuns2',
    );
    expect(() => loadConfig({ ...sample.Values, RUN_INDEX_TABLE: 'run-index' })).toThrow(
      "RUN_INDEX_TABLE must be a table name (3-63 letters and digits, a letter first), got 'run-index'",
    );
  });

  it('derives the storage account whose BlobCreated events count from each storage setting', () => {
    const { AzureWebJobsStorage: _, ...rest } = sample.Values;
    const accounts = [
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
      {
        AzureWebJobsStorage:
          'DefaultEndpointsProtocol=https;AccountName=stprod01;AccountKey=k;EndpointSuffix=core.windows.net',
      },
      {
        AzureWebJobsStorage: 'BlobEndpoint=https://stsas02.blob.core.windows.net;SharedAccessSignature=sv=x',
      },
      { AzureWebJobsStorage__accountName: 'stidentity' },
      { AzureWebJobsStorage__blobServiceUri: 'https://sturi03.blob.core.windows.net' },
      {
        AzureWebJobsStorage__blobServiceUri: 'http://127.0.0.1:10000/devstoreaccount1',
        AzureWebJobsStorage__tableServiceUri: 'http://127.0.0.1:10002/devstoreaccount1',
      },
    ].map((storage) => loadConfig({ ...rest, ...storage }).storageAccount);
    expect(accounts).toEqual([
      'devstoreaccount1',
      'stprod01',
      'stsas02',
      'stidentity',
      'sturi03',
      'devstoreaccount1',
    ]);
  });

  it('fails at start when the storage account cannot be told from the connection string', () => {
    expect(() => loadConfig({ ...sample.Values, AzureWebJobsStorage: 'AccountKey=k' })).toThrow(
      "invalid settings: AzureWebJobsStorage: cannot tell the storage account's name (3-24 lower-case letters and digits) from it, got ''",
    );
  });

  it('puts every problem on one line, for hosts that log only the first', () => {
    expect(() => loadConfig({ ...sample.Values, AZUREML_WORKSPACE: '', TEARDOWN_DRY_RUN: 'maybe' })).toThrow(
      "invalid settings: AZUREML_WORKSPACE is required but not set; TEARDOWN_DRY_RUN must be true or false, got 'maybe'",
    );
  });

  it('requires the gate metric and its threshold together', () => {
    expect(() => loadConfig({ ...sample.Values, GATE_METRIC: 'eval_loss' })).toThrow(
      'GATE_METRIC and GATE_MAX must be set together (or neither)',
    );
    expect(loadConfig({ ...sample.Values, GATE_METRIC: 'eval_loss', GATE_MAX: '1.5' }).fineTune.gate).toEqual(
      {
        metric: 'eval_loss',
        max: 1.5,
      },
    );
  });

  it('rejects fallback tags that are not a JSON map of strings', () => {
    expect(() => loadFineTuneSettings({ BASE_MODEL_FALLBACK_TAGS: '[1]' })).toThrow(
      "BASE_MODEL_FALLBACK_TAGS must be a JSON object of string values (model tags), got '[1]'",
    );
  });

  it('reads the lifecycle events topic endpoint', () => {
    const endpoint = 'https://evgt-ft-lifecycle.eastus2-1.eventgrid.azure.net/api/events';
    expect(loadConfig({ ...sample.Values, EVENTS_TOPIC_ENDPOINT: endpoint }).events?.topicEndpoint).toBe(
      endpoint,
    );
  });

  it('treats an empty events topic endpoint (the template sets one when no topic is made) as unset', () => {
    expect(loadConfig({ ...sample.Values, EVENTS_TOPIC_ENDPOINT: '' }).events).not.toHaveProperty(
      'topicEndpoint',
    );
  });

  it('rejects an events topic endpoint that is not an https URL', () => {
    expect(() => loadConfig({ ...sample.Values, EVENTS_TOPIC_ENDPOINT: 'topic' })).toThrow(
      "EVENTS_TOPIC_ENDPOINT must be an https URL (the topic's endpoint), got 'topic'",
    );
  });
});

describe('lifecycle event settings', () => {
  it('publishes nothing by default, with the local source', () => {
    expect(loadConfig(sample.Values).events).toEqual({ source: 'finetune-autopilot/local' });
  });

  it('reads the topic endpoint and the source', () => {
    const config = loadConfig({
      ...sample.Values,
      EVENTS_TOPIC_ENDPOINT: 'https://evgt-autopilot.eastus-1.eventgrid.azure.net/api/events',
      EVENTS_SOURCE: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-autopilot',
    });
    expect(config.events).toEqual({
      topicEndpoint: 'https://evgt-autopilot.eastus-1.eventgrid.azure.net/api/events',
      source: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-autopilot',
    });
  });

  it('refuses a topic endpoint that is not https', () => {
    expect(() =>
      loadConfig({ ...sample.Values, EVENTS_TOPIC_ENDPOINT: 'http://127.0.0.1:1/api/events' }),
    ).toThrow(
      "invalid settings: EVENTS_TOPIC_ENDPOINT must be an https URL (the topic's endpoint), got 'http://127.0.0.1:1/api/events'",
    );
  });
});

describe('loadCliSettings (the operator CLI)', () => {
  it('reads the API, its key, the state folder, storage and the container', () => {
    expect(
      loadCliSettings({
        AUTOPILOT_URL: 'https://app.azurewebsites.net',
        AUTOPILOT_KEY: ' k ',
        AUTOPILOT_STATE_DIR: '/tmp/state',
        AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
        TRAINING_CONTAINER: 'datasets',
      }),
    ).toEqual({
      apiUrl: 'https://app.azurewebsites.net',
      apiKey: 'k',
      stateDir: '/tmp/state',
      storageConnectionString: 'UseDevelopmentStorage=true',
      trainingContainer: 'datasets',
    });
  });

  it('is empty when nothing is set: the CLI falls back to the local stack', () => {
    expect(loadCliSettings({})).toEqual({});
  });

  it('names AUTOPILOT_URL when it is not an http(s) URL', () => {
    expect(() => loadCliSettings({ AUTOPILOT_URL: 'app.azurewebsites.net' })).toThrow(
      new ConfigError(["AUTOPILOT_URL must be an http(s) URL, got 'app.azurewebsites.net'"]),
    );
  });

  it('names TRAINING_CONTAINER when it is not a container name', () => {
    expect(() => loadCliSettings({ TRAINING_CONTAINER: 'Bad_Name' })).toThrow(ConfigError);
  });
});
