// The jobEvents handler (src/runs/jobEvents.ts) with real InvocationContext objects and a
// recording RunInstances in place of the durable client.
import { beforeEach, describe, expect, it } from 'vitest';
import { ExternalEvent } from '../../src/names.js';
import { handleJobEvent, workspaceResourceId } from '../../src/runs/jobEvents.js';
import { LoggingContext, RecordingRunInstances, WORKSPACE } from './support.js';

let runs: RecordingRunInstances;

beforeEach(() => {
  runs = new RecordingRunInstances();
});

describe('jobEvents', () => {
  const workspaceId = workspaceResourceId({
    subscriptionId: WORKSPACE.AZURE_SUBSCRIPTION_ID,
    resourceGroup: WORKSPACE.AZUREML_RESOURCE_GROUP,
    workspace: WORKSPACE.AZUREML_WORKSPACE,
  });
  const runEvent = (
    runId: string,
    eventType: string,
    extra: Record<string, unknown> = {},
    topic = workspaceId,
  ) => ({
    topic,
    subject: `experiments/exp-1/runs/${runId}`,
    eventType: `Microsoft.MachineLearningServices.${eventType}`,
    data: {
      experimentId: 'exp-1',
      experimentName: 'chat',
      runId,
      runType: 'azureml.PipelineRun',
      runTags: { 'autopilot-run-id': runId, 'autopilot-owner': 'finetune-autopilot' },
      runProperties: {},
      ...extra,
    },
  });

  it('raises JobFinished on the running run of the job, topic compared case-insensitively', async () => {
    runs.add({ instanceId: 'ft-job' });
    const outcome = await handleJobEvent(
      runEvent('ft-job', 'RunCompleted', {}, workspaceId.toUpperCase()),
      new LoggingContext('jobEvents'),
      { runs, workspaceId },
    );
    expect(outcome).toEqual({ raised: 'ft-job' });
    expect(runs.raised).toEqual([
      { instanceId: 'ft-job', eventName: ExternalEvent.jobFinished, payload: { status: 'Completed' } },
    ]);
  });

  it('raises a failed final status from RunStatusChanged', async () => {
    runs.add({ instanceId: 'ft-job' });
    await handleJobEvent(
      runEvent('ft-job', 'RunStatusChanged', { runStatus: 'Failed' }),
      new LoggingContext('j'),
      {
        runs,
        workspaceId,
      },
    );
    expect(runs.raised.map((r) => r.payload)).toEqual([{ status: 'Failed' }]);
  });

  it('ignores other workspaces, child runs, non-final statuses, unknown and finished runs, with a log line', async () => {
    runs.add({ instanceId: 'ft-job' });
    runs.add({ instanceId: 'ft-done', runtimeStatus: 'Completed' });
    const cases = [
      runEvent(
        'ft-job',
        'RunCompleted',
        {},
        '/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/z',
      ),
      runEvent('ft-job', 'RunCompleted', {
        runType: 'azureml.StepRun',
        runTags: {},
        runProperties: { 'azureml.pipelinerunid': 'ft-job' },
      }),
      runEvent('ft-job', 'RunStatusChanged', { runStatus: 'Running' }),
      runEvent('ft-unknown', 'RunCompleted'),
      runEvent('ft-done', 'RunCompleted'),
    ];
    for (const event of cases) {
      const context = new LoggingContext('jobEvents');
      expect(await handleJobEvent(event, context, { runs, workspaceId })).toHaveProperty('ignored');
      expect(context.lines[0]).toMatch(/^information: jobEvents: ignored /);
    }
    expect(runs.raised).toEqual([]);
  });
});
