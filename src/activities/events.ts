// publishEvents: lifecycle events out (src/domain/lifecycleEvents.ts builds them). A transient
// fault throws, so durable retries the activity; the orchestrator calls it best effort
// (Run.always), so publishing never fails a run. The ids are deterministic: a retried or replayed
// publish sends duplicates a subscriber can drop.
import { ok } from '../domain/errors.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, type ActivityDeps } from './shared.js';

export function createEventActivities({
  ports,
}: ActivityDeps): Pick<ActivityImplementations, 'publishEvents'> {
  return {
    publishEvents: ({ events }) =>
      expected(async () => {
        await ports.events.publish(events);
        return ok({ published: events.length });
      }),
  };
}
