// functions/dashboard.ts: one anonymous HTTP function for the page and its files (the page holds
// no data; its API calls carry the function key). The served page itself is tested from dist/ in
// test/e2e/dashboard.test.ts.
import { describe, expect, it } from 'vitest';
import { FunctionName } from '../../src/names.js';
import { captureRegistrations } from './support.js';

describe('dashboard', () => {
  it('registers one anonymous GET/HEAD function on dashboard/{*path}, with no durable client', async () => {
    const registered = await captureRegistrations(() => import('../../functions/dashboard.js'));

    expect([...registered.keys()]).toEqual([FunctionName.dashboard]);
    const dashboard = registered.get(FunctionName.dashboard);
    expect(dashboard?.kind).toBe('http');
    expect(dashboard?.options).toMatchObject({
      route: 'dashboard/{*path}',
      methods: ['GET', 'HEAD'],
      authLevel: 'anonymous',
    });
    expect(dashboard?.options.extraInputs).toBeUndefined();
  });
});
