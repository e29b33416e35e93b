// Event Grid push delivery to webhook subscriptions, the way Event Grid does it: a validation handshake
// before the first event, one POST per event (a JSON array of one EventGridEvent), 200/202 = delivered,
// anything else (or no answer) retried with exponential backoff, dead-lettered after maxAttempts.
// At least once: a webhook that answers late may see an event twice. Delivery faults (drop, duplicate,
// delay, reorder) are taken from the fault list one event at a time.
import { randomUUID } from 'node:crypto';
import type { DeliverySettings } from './config.js';
import type { Faults } from './faults.js';
import type { State, SubscriptionRecord } from './state.js';

export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
  data: unknown;
}

export const VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';
const DELIVERY_TIMEOUT_MS = 10_000;
/** How long a reordered event waits for a later one to overtake it before it goes anyway. */
const REORDER_HOLD_MS = 1000;
const DEFAULT_FAULT_DELAY_MS = 2000;

export class EventDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly held = new Map<string, { event: EventGridEvent; timer: NodeJS.Timeout }>();
  private stopped = false;
  private readonly queues = new Map<string, Promise<void>>();
  /** Aborts in-flight requests on stop, so a stopped emulator leaves nothing running. */
  private readonly aborter = new AbortController();

  constructor(
    private readonly state: State,
    private readonly settings: DeliverySettings,
    private readonly faults: Faults,
    private readonly topic: string,
    private readonly validationUrlFor: (name: string, code: string) => string,
    private readonly log: (line: string) => void,
    private readonly changed: () => void,
  ) {}

  /** Sends the handshake; true when the endpoint echoed the validation code. */
  async validate(sub: SubscriptionRecord): Promise<boolean> {
    const code = randomUUID();
    const event: EventGridEvent = {
      id: randomUUID(),
      topic: this.topic,
      subject: '',
      eventType: VALIDATION_EVENT_TYPE,
      eventTime: new Date().toISOString(),
      dataVersion: '2',
      metadataVersion: '1',
      data: { validationCode: code, validationUrl: this.validationUrlFor(sub.name, code) },
    };
    try {
      const response = await fetch(sub.endpointUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'aeg-event-type': 'SubscriptionValidation',
          'aeg-subscription-name': sub.name.toUpperCase(),
        },
        body: JSON.stringify([event]),
        signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), this.aborter.signal]),
      });
      const text = await response.text();
      if (!response.ok) return false;
      const body = JSON.parse(text) as { validationResponse?: unknown; ValidationResponse?: unknown };
      return (body.validationResponse ?? body.ValidationResponse) === code;
    } catch {
      return false;
    }
  }

  /** Fans events out to every subscription whose eventTypes include them (none = all). */
  publish(events: EventGridEvent[]): void {
    for (const sub of Object.values(this.state.subscriptions)) {
      for (const event of events) {
        if (sub.eventTypes && sub.eventTypes.length > 0 && !sub.eventTypes.includes(event.eventType))
          continue;
        this.route(sub.name, event);
      }
    }
  }

  private route(name: string, event: EventGridEvent): void {
    const fault = this.faults.takeDelivery();
    const held = this.held.get(name);
    if (fault?.delivery === 'drop') {
      this.bump(name, 'dropped');
      this.log(`event ${event.eventType} ${event.subject} dropped for ${name} (fault)`);
      return;
    }
    if (fault?.delivery === 'reorder' && held === undefined) {
      const timer = setTimeout(() => this.releaseHeld(name), REORDER_HOLD_MS);
      this.held.set(name, { event, timer });
      return;
    }
    if (fault?.delivery === 'delay')
      this.later(() => this.attempt(name, event, 1), fault.delayMs ?? DEFAULT_FAULT_DELAY_MS);
    else this.attempt(name, event, 1);
    if (fault?.delivery === 'duplicate') this.attempt(name, event, 1);
    // A held (reordered) event goes right after the one that overtook it.
    if (held !== undefined) this.releaseHeld(name);
  }

  private releaseHeld(name: string): void {
    const held = this.held.get(name);
    if (held === undefined) return;
    clearTimeout(held.timer);
    this.held.delete(name);
    this.attempt(name, held.event, 1);
  }

  private later(fn: () => void, ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private bump(name: string, counter: 'delivered' | 'failedAttempts' | 'dropped' | 'deadLettered'): void {
    const sub = this.state.subscriptions[name];
    if (sub) {
      sub[counter] += 1;
      this.changed();
    }
  }

  /**
   * First attempts to one subscription go one at a time, in order, so tests see a deterministic order
   * unless a fault changes it; retries run on their own timers and never hold the queue up.
   */
  private attempt(name: string, event: EventGridEvent, attempt: number): void {
    if (this.stopped) return;
    if (attempt > 1) {
      void this.send(name, event, attempt);
      return;
    }
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.then(() => this.send(name, event, attempt));
    this.queues.set(name, next);
  }

  private async send(name: string, event: EventGridEvent, attempt: number): Promise<void> {
    const sub = this.state.subscriptions[name];
    if (sub === undefined || this.stopped) return; // deleted meanwhile
    let delivered = false;
    try {
      if (!sub.validated) {
        sub.validated = await this.validate(sub);
        if (sub.validated) this.changed();
      }
      if (sub.validated) {
        const response = await fetch(sub.endpointUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'aeg-event-type': 'Notification',
            'aeg-subscription-name': name.toUpperCase(),
            'aeg-delivery-count': String(attempt - 1),
            'aeg-data-version': event.dataVersion,
            'aeg-metadata-version': event.metadataVersion,
          },
          body: JSON.stringify([event]),
          signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), this.aborter.signal]),
        });
        await response.arrayBuffer();
        delivered = response.status === 200 || response.status === 202;
      }
    } catch {
      delivered = false;
    }
    if (this.stopped) return;
    if (delivered) {
      this.bump(name, 'delivered');
      return;
    }
    this.bump(name, 'failedAttempts');
    if (attempt >= this.settings.maxAttempts) {
      this.bump(name, 'deadLettered');
      this.log(`event ${event.id} to ${name} dead-lettered after ${attempt} attempts`);
      return;
    }
    const backoff = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** (attempt - 1));
    this.later(() => this.attempt(name, event, attempt + 1), backoff);
  }

  stop(): void {
    this.stopped = true;
    this.aborter.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }
}
