// Reading what callers and Event Grid send without trusting its shape or size: echoes are
// truncated (a 1 MB name must not come back three times), and an event that is not an Event Grid
// event object is named and skipped instead of failing its batch (docs/contracts.md "HTTP API").

/** An echo of user text that stays short whatever the caller sent. */
export function truncated(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** Event Grid fields read by the webhooks, bounded so no log line or regex runs over megabytes. */
export const EVENT_LIMITS = Object.freeze({
  /** `/blobServices/default/containers/<63>/blobs/` + a 1,024-character blob name fits. */
  maxSubjectLength: 2_048,
  maxTopicLength: 1_024,
  maxEventTypeLength: 256,
});

export interface EventEnvelope {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: string;
  readonly data: unknown;
}

export type EnvelopeResult =
  { readonly event: EventEnvelope } | { readonly id: string; readonly ignore: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The event's id for logs (truncated), or a placeholder when it has none. */
export function eventIdOf(value: unknown): string {
  const id = isRecord(value) ? value.id : undefined;
  return typeof id === 'string' && id !== '' ? truncated(id) : '(no id)';
}

/** A string field of an event for logs (truncated), or a placeholder. */
export function eventFieldOf(value: unknown, name: 'subject' | 'eventType'): string {
  const field = isRecord(value) ? value[name] : undefined;
  return typeof field === 'string' && field !== '' ? truncated(field, 200) : `(no ${name})`;
}

/** One event of a delivered batch as the webhooks read it, or why it is skipped. */
export function readEventEnvelope(value: unknown): EnvelopeResult {
  const id = eventIdOf(value);
  if (!isRecord(value)) {
    return {
      id,
      ignore: `not an event object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`,
    };
  }
  const fields: [name: 'subject' | 'eventType' | 'topic', max: number, required: boolean][] = [
    ['subject', EVENT_LIMITS.maxSubjectLength, true],
    ['eventType', EVENT_LIMITS.maxEventTypeLength, true],
    ['topic', EVENT_LIMITS.maxTopicLength, false],
  ];
  for (const [name, max, required] of fields) {
    const field = value[name];
    if (field === undefined && !required) continue;
    if (typeof field !== 'string') return { id, ignore: `${name} is not a string` };
    if (field.length > max) {
      return { id, ignore: `${name} is ${field.length} characters, more than ${max}: not an event of ours` };
    }
  }
  return {
    event: {
      id,
      topic: typeof value.topic === 'string' ? value.topic : '',
      subject: value.subject as string,
      eventType: value.eventType as string,
      data: value.data,
    },
  };
}
