// The LifecycleEvents port over @azure/eventgrid's EventGridPublisherClient, CloudEvents 1.0
// schema, authenticated with the app's token credential (the managed identity in Azure, which
// needs `EventGrid Data Sender` on the topic; the emulator's static token locally). Without a
// topic endpoint nothing is published.
import type { TokenCredential } from '@azure/core-auth';
import { EventGridPublisherClient, type SendCloudEventInput } from '@azure/eventgrid';
import type { LifecycleEvent } from '../domain/lifecycleEvents.js';
import type { LifecycleEvents } from '../domain/ports.js';
import { toServiceError } from './errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, throttlePolicy, timeoutPolicy, type TransportOptions } from './http.js';

export interface EventGridLifecycleEventsOptions {
  /** The topic's endpoint, `https://<topic>.<region>-1.eventgrid.azure.net/api/events`. */
  readonly topicEndpoint: string;
  /** CloudEvents `source`: the Function App's resource id. */
  readonly source: string;
  readonly credential: TokenCredential;
  readonly transport: TransportOptions;
}

/** The wire form of one event: the SDK adds `specversion` and `datacontenttype: application/json`. */
export function toCloudEvent(event: LifecycleEvent, source: string): SendCloudEventInput<unknown> {
  return {
    id: event.id,
    type: event.type,
    source,
    subject: event.subject,
    // Without a time the SDK would stamp the send time; a retried publish keeps the event's own.
    ...(event.time === undefined ? {} : { time: new Date(event.time) }),
    data: event.data,
  };
}

export class EventGridLifecycleEvents implements LifecycleEvents {
  private readonly client: EventGridPublisherClient<'CloudEvent'>;

  constructor(private readonly options: EventGridLifecycleEventsOptions) {
    const { transport } = options;
    this.client = new EventGridPublisherClient(options.topicEndpoint, 'CloudEvent', options.credential, {
      retryOptions: transport.retryOptions,
      ...(transport.tlsOptions !== undefined && { tlsOptions: transport.tlsOptions }),
      // The same timeout and throttle handling as the other clients (src/adapters/http.ts).
      additionalPolicies: [
        {
          policy: timeoutPolicy(transport.retry.requestTimeoutInMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
          position: 'perCall',
        },
        { policy: throttlePolicy(transport.retry), position: 'perRetry' },
      ],
    });
  }

  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    const types = [...new Set(events.map((e) => e.type))].join(', ');
    try {
      await this.client.send(events.map((e) => toCloudEvent(e, this.options.source)));
    } catch (error) {
      throw toServiceError(
        'EVENTS',
        `POST ${events.length} event(s) (${types}) to the lifecycle topic`,
        error,
      );
    }
  }
}

/** No topic configured: publishing is a no-op (EVENTS_TOPIC_ENDPOINT unset). */
export class NoLifecycleEvents implements LifecycleEvents {
  publish(): Promise<void> {
    return Promise.resolve();
  }
}
