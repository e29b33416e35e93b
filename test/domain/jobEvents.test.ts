import { describe, expect, it } from 'vitest';
import { matchJobEvent } from '../../src/domain/jobEvents.js';

const WORKSPACE =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-autopilot-local/providers/Microsoft.MachineLearningServices/workspaces/mlw-autopilot-local';
const RUN_ID = 'ft-d6d611a5d854edeb1586';
const TAGS = { 'autopilot-run-id': RUN_ID, 'autopilot-owner': 'finetune-autopilot' };
const options = { workspaceId: WORKSPACE };

function event(eventType: string, data: Record<string, unknown>, topic = WORKSPACE) {
  return {
    topic,
    eventType: `Microsoft.MachineLearningServices.${eventType}`,
    subject: `experiments/exp-1/runs/${typeof data.runId === 'string' ? data.runId : RUN_ID}`,
    data,
  };
}
const parent = (status: string) => ({
  runId: RUN_ID,
  runType: 'azureml.PipelineRun',
  runTags: TAGS,
  runProperties: {},
  runStatus: status,
});

describe('matchJobEvent', () => {
  it('maps RunCompleted of our pipeline job to Completed', () => {
    expect(matchJobEvent(event('RunCompleted', parent('Completed')), options)).toEqual({
      runId: RUN_ID,
      status: 'Completed',
    });
  });

  it('maps a RunStatusChanged to a final status', () => {
    expect(matchJobEvent(event('RunStatusChanged', parent('Failed')), options)).toEqual({
      runId: RUN_ID,
      status: 'Failed',
    });
    expect(matchJobEvent(event('RunStatusChanged', parent('Canceled')), options)).toEqual({
      runId: RUN_ID,
      status: 'Canceled',
    });
  });

  it('ignores a status change that is not final', () => {
    expect(matchJobEvent(event('RunStatusChanged', parent('Running')), options)).toEqual({
      ignore: `run ${RUN_ID} is Running, not finished`,
    });
  });

  it('compares the topic case-insensitively and ignores other workspaces', () => {
    expect(
      matchJobEvent(event('RunCompleted', parent('Completed'), WORKSPACE.toUpperCase()), options),
    ).toEqual({
      runId: RUN_ID,
      status: 'Completed',
    });
    expect(
      matchJobEvent(event('RunCompleted', parent('Completed'), '/subscriptions/x/workspaces/other'), options),
    ).toEqual({
      ignore: "topic '/subscriptions/x/workspaces/other' is not the configured workspace",
    });
  });

  it('reads PascalCase data keys (RunId, RunTags, RunStatus)', () => {
    const data = {
      RunId: RUN_ID,
      RunType: 'azureml.PipelineRun',
      RunTags: TAGS,
      RunProperties: {},
      RunStatus: 'failed',
    };
    expect(matchJobEvent(event('RunStatusChanged', data), options)).toEqual({
      runId: RUN_ID,
      status: 'Failed',
    });
  });

  it('ignores pipeline step runs by run type', () => {
    const data = {
      runId: 'step-1',
      runType: 'azureml.StepRun',
      runTags: {},
      runProperties: {},
      runStatus: 'Failed',
    };
    expect(matchJobEvent(event('RunStatusChanged', data), options)).toEqual({
      ignore: 'run step-1 is a pipeline step (azureml.StepRun)',
    });
  });

  it('ignores child runs by their pipeline run id property', () => {
    const data = {
      runId: 'child-1',
      runTags: TAGS,
      runProperties: { 'azureml.pipelinerunid': RUN_ID },
      runStatus: 'Completed',
    };
    expect(matchJobEvent(event('RunCompleted', data), options)).toEqual({
      ignore: `run child-1 is a child of pipeline run ${RUN_ID}`,
    });
  });

  it('ignores a run of ours whose id differs from its run tag', () => {
    const data = { ...parent('Completed'), runId: `${RUN_ID}-r1` };
    expect(matchJobEvent(event('RunCompleted', data), options)).toEqual({
      ignore: `run ${RUN_ID}-r1 carries the tag of run ${RUN_ID}: not the pipeline job itself`,
    });
  });

  it('matches by the run tag when the event run id is not the job name', () => {
    const data = { ...parent('Completed'), runId: '5f0c4a3e-1111-2222-3333-444455556666' };
    expect(matchJobEvent(event('RunCompleted', data), options)).toEqual({
      runId: RUN_ID,
      status: 'Completed',
    });
  });

  it('matches by the run id when tags are not in the event', () => {
    const data = { runId: RUN_ID, runType: 'azureml.PipelineRun', runStatus: 'Completed' };
    expect(matchJobEvent(event('RunStatusChanged', data), options)).toEqual({
      runId: RUN_ID,
      status: 'Completed',
    });
  });

  it('falls back to the run id in the subject', () => {
    const e = { ...event('RunCompleted', {}), subject: `experiments/e/runs/${RUN_ID}` };
    expect(matchJobEvent(e, options)).toEqual({ runId: RUN_ID, status: 'Completed' });
  });

  it('ignores runs this app did not start', () => {
    const data = {
      runId: 'someone-elses-job',
      runType: 'azureml.PipelineRun',
      runTags: {},
      runStatus: 'Completed',
    };
    expect(matchJobEvent(event('RunCompleted', data), options)).toEqual({
      ignore: 'run someone-elses-job was not started by finetune-autopilot',
    });
  });

  it('ignores other Azure ML event types', () => {
    expect(matchJobEvent(event('ModelRegistered', parent('Completed')), options)).toEqual({
      ignore: "event type 'Microsoft.MachineLearningServices.ModelRegistered' is not a run event",
    });
  });
});

describe('matchJobEvent on malformed deliveries (issue 14)', () => {
  it('ignores null, a string, an array and an event without a subject, naming why', () => {
    const results = [null, 'x', [1], { eventType: 'x', topic: WORKSPACE }].map((value) =>
      matchJobEvent(value, options),
    );
    expect(results).toEqual([
      { ignore: 'not an event object (null)' },
      { ignore: 'not an event object (string)' },
      { ignore: 'not an event object (an array)' },
      { ignore: 'subject is not a string' },
    ]);
  });

  it('ignores a run id that is not of our shape before anyone looks it up', () => {
    const id = `${RUN_ID}?x=`;
    const data = { ...parent('Completed'), runId: id, runTags: { 'autopilot-run-id': id } };
    expect(matchJobEvent(event('RunCompleted', data), options)).toEqual({
      ignore: `'${RUN_ID}?x=' is not a run id of ours`,
    });
  });
});
