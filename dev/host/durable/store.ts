// Instance state, one JSON file per instance, written atomically: killing the host at any point
// leaves every instance as it was after its last completed step.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fsUtil.js';
import type { HistoryEvent } from './history.js';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Suspended' | 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew';

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated'];

export interface InstanceRecord {
  instanceId: string;
  name: string;
  /** New for each start and continue-as-new: results of an earlier execution are dropped. */
  executionId: string;
  /** The orchestration input as JSON text (`null` when none). */
  input: string;
  runtimeStatus: RuntimeStatus;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  history: HistoryEvent[];
  /** Set on a sub-orchestration: where its outcome goes. */
  parent?: { instanceId: string; executionId: string; taskId: number };
  /** Events (completions, timers, raised events) not yet shown to the orchestrator. */
  inbox: HistoryEvent[];
}

export class InstanceStore {
  readonly #dir: string;
  readonly #cache = new Map<string, InstanceRecord>();

  constructor(stateDir: string, hubName: string) {
    this.#dir = path.join(stateDir, 'durable', hubName, 'instances');
    mkdirSync(this.#dir, { recursive: true });
    for (const file of readdirSync(this.#dir)) {
      if (!file.endsWith('.json')) continue;
      const record = JSON.parse(readFileSync(path.join(this.#dir, file), 'utf8')) as InstanceRecord;
      this.#cache.set(record.instanceId, record);
    }
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.#cache.get(instanceId);
  }

  all(): InstanceRecord[] {
    return [...this.#cache.values()];
  }

  save(record: InstanceRecord): void {
    this.#cache.set(record.instanceId, record);
    writeFileAtomic(this.#file(record.instanceId), JSON.stringify(record));
  }

  delete(instanceId: string): boolean {
    if (!this.#cache.delete(instanceId)) return false;
    const file = this.#file(instanceId);
    if (existsSync(file)) rmSync(file);
    return true;
  }

  #file(instanceId: string): string {
    return path.join(this.#dir, `${encodeURIComponent(instanceId)}.json`);
  }
}
