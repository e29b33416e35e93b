// functions/idleEndpointTeardown.ts: a timer on an app setting, with a durable client to read
// the runs in progress (an endpoint whose run is still deploying is never idle).
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionName } from '../../src/names.js';
import { captureRegistrations, hasDurableClient, type Registration } from './support.js';

let registered: Map<string, Registration>;

beforeAll(async () => {
  registered = await captureRegistrations(() => import('../../functions/idleEndpointTeardown.js'));
});

describe('idleEndpointTeardown', () => {
  it('registers a timer on the %TEARDOWN_SCHEDULE% app setting, with a durable client (runs in progress)', () => {
    expect([...registered.keys()]).toEqual([FunctionName.idleEndpointTeardown]);
    const timer = registered.get(FunctionName.idleEndpointTeardown);
    expect(timer?.kind).toBe('timer');
    expect(timer?.options.schedule).toBe('%TEARDOWN_SCHEDULE%');
    expect(hasDurableClient(timer)).toBe(true);
  });
});
