// Azure ML run events -> "the run's job finished". Delivery is at least once and unordered, and
// failed/canceled jobs may send nothing (the orchestrator polls as a backstop), so this only
// recognises an event as final for one of our parent pipeline jobs and ignores everything else.
import { HandledEventTypes, Tag } from '../names.js';
import { normalizeJobStatus, isTerminalJobStatus, type FinishedJobStatus } from './jobStatus.js';
import { isRunId, RUN_ID_PREFIX } from './runId.js';
import { readEventEnvelope, truncated } from './untrustedInput.js';

export type JobEventMatch =
  { readonly runId: string; readonly status: FinishedJobStatus } | { readonly ignore: string };

const [RUN_COMPLETED, RUN_STATUS_CHANGED] = HandledEventTypes.jobEvents;
const STEP_RUN_TYPE = 'azureml.steprun';
const PIPELINE_RUN_ID_PROPERTY = 'azureml.pipelinerunid';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Docs show both `runId` and `RunId`: keys are read case-insensitively. */
function field(record: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What one delivered event means for our runs. `value` is one element of the batch as delivered:
 * null, a string or a malformed event is an answer ({ignore}), never an exception.
 */
export function matchJobEvent(value: unknown, options: { readonly workspaceId: string }): JobEventMatch {
  const envelope = readEventEnvelope(value);
  if ('ignore' in envelope) return { ignore: envelope.ignore };
  const event = envelope.event;
  const ignore = (why: string): JobEventMatch => ({ ignore: why });
  if (event.topic.toLowerCase() !== options.workspaceId.toLowerCase()) {
    return ignore(`topic '${truncated(event.topic, 200)}' is not the configured workspace`);
  }
  // Event Grid matches event types case-insensitively (its filters do); so do we.
  const eventType = [RUN_COMPLETED, RUN_STATUS_CHANGED].find(
    (t) => t.toLowerCase() === event.eventType.toLowerCase(),
  );
  if (eventType === undefined) return ignore(`event type '${truncated(event.eventType)}' is not a run event`);
  const data = isRecord(event.data) ? event.data : {};
  const rawRunId = text(field(data, 'runId')) ?? /\/runs\/([^/]+)$/.exec(event.subject)?.[1];
  if (rawRunId === undefined) return ignore('event names no run');
  const runId = truncated(rawRunId);

  const runType = text(field(data, 'runType'));
  if (runType?.toLowerCase() === STEP_RUN_TYPE)
    return ignore(`run ${runId} is a pipeline step (${truncated(runType)})`);
  const properties = field(data, 'runProperties');
  if (isRecord(properties) && field(properties, PIPELINE_RUN_ID_PROPERTY) !== undefined) {
    return ignore(
      `run ${runId} is a child of pipeline run ${truncated(String(field(properties, PIPELINE_RUN_ID_PROPERTY)))}`,
    );
  }

  // Whether runId equals the job name and whether job tags reach runTags is unconfirmed
  // (docs/azure-facts.md): match on either, preferring the tag, which is the job name by construction.
  const tags = field(data, 'runTags');
  const rawTagRunId = isRecord(tags) ? text(field(tags, Tag.runId)) : undefined;
  const tagRunId = rawTagRunId === undefined ? undefined : truncated(rawTagRunId);
  if (tagRunId !== undefined && rawRunId.startsWith(RUN_ID_PREFIX) && rawRunId !== rawTagRunId) {
    return ignore(`run ${runId} carries the tag of run ${tagRunId}: not the pipeline job itself`);
  }
  const ourRunId = rawTagRunId ?? (rawRunId.startsWith(RUN_ID_PREFIX) ? rawRunId : undefined);
  if (ourRunId === undefined) return ignore(`run ${runId} was not started by finetune-autopilot`);
  // Checked before any lookup: the id would otherwise reach the durable client's URL as it came.
  if (!isRunId(ourRunId)) return ignore(`'${truncated(ourRunId)}' is not a run id of ours`);

  if (eventType === RUN_COMPLETED) return { runId: ourRunId, status: 'Completed' };
  // The official example sends `runStatus: "failed"` (lower case): normalizeJobStatus ignores case.
  const rawStatus = text(field(data, 'runStatus'));
  if (rawStatus === undefined) return ignore(`run ${ourRunId}: status change without a status`);
  const status = normalizeJobStatus(rawStatus);
  if (!isTerminalJobStatus(status)) return ignore(`run ${ourRunId} is ${truncated(rawStatus)}, not finished`);
  return { runId: ourRunId, status };
}
