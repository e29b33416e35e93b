// Assembled once per process, on first use (not at import: registering functions needs no
// settings): the settings, the ports over the real SDKs, and the activities built on them.
import { createActivities, type Activities } from '../activities/index.js';
import { getPorts, type Ports } from '../adapters/index.js';
import type { DurableClient } from 'durable-functions';
import { getConfig, type AppConfig } from '../config.js';
import { DurableRunInstances } from './runInstances.js';
import type { StartRunDeps } from './startRun.js';

export interface Services {
  readonly config: AppConfig;
  readonly ports: Ports;
  readonly activities: Activities;
}

let services: Services | undefined;

export function getServices(): Services {
  if (services === undefined) {
    const config = getConfig();
    const ports = getPorts();
    services = { config, ports, activities: createActivities(ports, config) };
  }
  return services;
}

/** What the run-starting entry points need, over this invocation's durable client. */
export function startRunDeps(client: DurableClient): StartRunDeps {
  const { config, ports } = getServices();
  return { runs: new DurableRunInstances(client), blobs: ports.blobs, config };
}
