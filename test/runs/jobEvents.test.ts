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
    runs.add({ instanceId: 'ft-0123456789abcdef0123' });
    const outcome = await handleJobEvent(
      runEvent('ft-0123456789abcdef0123', 'RunCompleted', {}, workspaceId.toUpperCase()),
      new LoggingContext('jobEvents'),
      { runs, workspaceId },
    );
    expect(outcome).toEqual({ raised: 'ft-0123456789abcdef0123' });
    expect(runs.raised).toEqual([
      {
        instanceId: 'ft-0123456789abcdef0123',
        eventName: ExternalEvent.jobFinished,
        payload: { status: 'Completed' },
      },
    ]);
  });

  it('raises a failed final status from RunStatusChanged', async () => {
    runs.add({ instanceId: 'ft-0123456789abcdef0123' });
    await handleJobEvent(
      runEvent('ft-0123456789abcdef0123', 'RunStatusChanged', { runStatus: 'Failed' }),
      new LoggingContext('j'),
      {
        runs,
        workspaceId,
      },
    );
    expect(runs.raised.map((r) => r.payload)).toEqual([{ status: 'Failed' }]);
  });

  it('ignores other workspaces, child runs, non-final statuses, unknown and finished runs, with a log line', async () => {
    runs.add({ instanceId: 'ft-0123456789abcdef0123' });
    runs.add({ instanceId: 'ft-dddddddddddddddddddd', runtimeStatus: 'Completed' });
    const cases = [
      runEvent(
        'ft-0123456789abcdef0123',
        'RunCompleted',
        {},
        '/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/z',
      ),
      runEvent('ft-0123456789abcdef0123', 'RunCompleted', {
        runType: 'azureml.StepRun',
        runTags: {},
        runProperties: { 'azureml.pipelinerunid': 'ft-0123456789abcdef0123' },
      }),
      runEvent('ft-0123456789abcdef0123', 'RunStatusChanged', { runStatus: 'Running' }),
      runEvent('ft-00000000000000000000', 'RunCompleted'),
      runEvent('ft-dddddddddddddddddddd', 'RunCompleted'),
    ];
    for (const event of cases) {
      const context = new LoggingContext('jobEvents');
      expect(await handleJobEvent(event, context, { runs, workspaceId })).toHaveProperty('ignored');
      expect(context.lines[0]).toMatch(/^information: jobEvents: ignored /);
    }
    expect(runs.raised).toEqual([]);
  });

  it('logs a null event and ignores it, raising nothing', async () => {
    const context = new LoggingContext('jobEvents');
    expect(await handleJobEvent(null, context, { runs, workspaceId })).toEqual({
      ignored: 'not an event object (null)',
    });
    expect(context.lines).toEqual([
      'information: jobEvents: ignored (no eventType) (no subject): not an event object (null) (event (no id))',
    ]);
    expect(runs.raised).toEqual([]);
  });

  it('logs a malformed event with its id and ignores it', async () => {
    const context = new LoggingContext('jobEvents');
    const outcome = await handleJobEvent({ id: 'ev-7', subject: 's', eventType: ['x'] }, context, {
      runs,
      workspaceId,
    });
    expect(outcome).toEqual({ ignored: 'eventType is not a string' });
    expect(context.lines[0]).toBe(
      'information: jobEvents: ignored (no eventType) s: eventType is not a string (event ev-7)',
    );
  });
});
