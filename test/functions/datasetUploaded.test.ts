// functions/datasetUploaded.ts: an Event Grid trigger (BlobCreated), not the blob trigger.
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionName } from '../../src/names.js';
import { captureRegistrations, hasDurableClient, type Registration } from './support.js';

let registered: Map<string, Registration>;

beforeAll(async () => {
  registered = await captureRegistrations(() => import('../../functions/datasetUploaded.js'));
});

describe('datasetUploaded', () => {
  it('registers an Event Grid trigger (not the blob trigger) with a durable client', () => {
    expect([...registered.keys()]).toEqual([FunctionName.datasetUploaded]);
    expect(registered.get(FunctionName.datasetUploaded)?.kind).toBe('eventGrid');
    expect(hasDurableClient(registered.get(FunctionName.datasetUploaded))).toBe(true);
  });
});
