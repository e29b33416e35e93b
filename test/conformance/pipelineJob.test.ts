// Our pipeline job body against the service's definition: the PipelineJob request schema (the
// SDK's model mappers) and the REST key a component node uses, recorded from the Python SDK's
// serializer in test/fixtures/azure/machinelearningservices/pipelineNode.componentId.json.
// Kept in its own file: the body builder (src/domain/pipelineJob.ts) sends `component` today, so
// the componentId case fails until that is fixed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveFineTuneParameters } from '../../src/domain/fineTuneParameters.js';
import { buildPipelineJob, datastoreUri, registryModelId } from '../../src/domain/pipelineJob.js';
import { checkAgainst, mapperFor } from '../support/armSchema.js';

const RUN_ID = 'ft-0123456789abcdef0123';
const COMPONENT = 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.75';

const fact = JSON.parse(
  readFileSync(
    new URL('../fixtures/azure/machinelearningservices/pipelineNode.componentId.json', import.meta.url),
    'utf8',
  ),
) as { source: string; nodeKey: string; notNodeKeys: string[] };

function job() {
  const resolved = resolveFineTuneParameters({ modelSpecificDefaults: {}, overrides: {}, gpusPerNode: 1 });
  if (!resolved.ok) throw new Error('notebook defaults must resolve');
  return buildPipelineJob({
    runId: RUN_ID,
    experimentName: 'chat_completion',
    displayName: 'conformance',
    componentId: COMPONENT,
    modelId: registryModelId('azureml', 'Phi-3-mini-4k-instruct', '15'),
    trainDataUri: datastoreUri('trainingdata', `runs/${RUN_ID}/train.jsonl`),
    testDataUri: datastoreUri('trainingdata', `runs/${RUN_ID}/test.jsonl`),
    computeName: 'gpu-cluster',
    parameters: resolved.value.parameters,
  });
}

describe('the pipeline job body', () => {
  it('fits the PipelineJob request schema (JobBase with jobType Pipeline)', () => {
    expect(checkAgainst(job(), mapperFor('JobBase'))).toEqual([]);
  });

  it(`names the registry component of each node under ${fact.nodeKey}, as the service reads it`, () => {
    const nodes = Object.entries((job().properties.jobs ?? {}) as Record<string, Record<string, unknown>>);
    expect(nodes.length).toBeGreaterThan(0);
    for (const [, node] of nodes) {
      expect(node[fact.nodeKey]).toBe(COMPONENT);
      for (const key of fact.notNodeKeys) expect(node).not.toHaveProperty(key);
    }
  });
});
