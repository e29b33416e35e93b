// What every activity shares (src/activities/shared.ts): the failure policy (a DomainError is a
// value, anything else is rethrown for the durable retry), the run's blob paths, and the endpoint
// ownership check, the last over the real gateway and the Azure ML emulator.
import { describe, expect, it } from 'vitest';
import {
  expected,
  isOwnedBy,
  notOwned,
  requireOwnedEndpoint,
  runBlobPath,
} from '../../src/activities/shared.js';
import { ServiceUnavailableError } from '../../src/adapters/errors.js';
import { createPorts } from '../../src/adapters/index.js';
import { DomainError, ok } from '../../src/domain/errors.js';
import type { EndpointInfo } from '../../src/domain/resources.js';
import { useActivityStack } from './support.js';

const stack = useActivityStack();

describe('runBlobPath', () => {
  it('is runs/<runId>/<file>', () => {
    expect(runBlobPath('ft-abc', 'report.json')).toBe('runs/ft-abc/report.json');
  });
});

describe('expected', () => {
  it('passes a Result through', async () => {
    expect(await expected(() => Promise.resolve(ok({ deleted: true })))).toEqual({
      ok: true,
      value: { deleted: true },
    });
  });

  it('turns a thrown DomainError into a failure value with its code, message and details', async () => {
    const result = await expected(() =>
      Promise.reject(new DomainError('DATASET.CHANGED', 'dataset a.jsonl changed', { path: 'a.jsonl' })),
    );
    expect(result).toEqual({
      ok: false,
      error: { code: 'DATASET.CHANGED', message: 'dataset a.jsonl changed', details: { path: 'a.jsonl' } },
    });
  });

  it('leaves details out when the DomainError has none', async () => {
    const result = await expected(() => Promise.reject(new DomainError('JOB.NOT_FOUND', 'no job ft-x')));
    expect(result).toEqual({ ok: false, error: { code: 'JOB.NOT_FOUND', message: 'no job ft-x' } });
  });

  it('hands back a throttle longer than the activity retries as <SERVICE>.THROTTLED with its wait', async () => {
    const details = { status: 503, serviceCode: 'ServerBusy', operation: 'GET blob', retryAfterSeconds: 120 };
    const result = await expected(() =>
      Promise.reject(new ServiceUnavailableError('STORAGE.UNAVAILABLE', 'GET blob: busy', details)),
    );
    expect(result).toEqual({
      ok: false,
      error: { code: 'STORAGE.THROTTLED', message: 'GET blob: busy', details },
    });
  });

  it('rethrows a throttle the activity retries can wait out', async () => {
    const fault = new ServiceUnavailableError('AZUREML.THROTTLED', 'slow down', { retryAfterSeconds: 10 });
    await expect(expected(() => Promise.reject(fault))).rejects.toBe(fault);
  });

  it('hands back the emulator throttling Jobs_Get for 120 s, through the real gateway', async () => {
    const runId = 'ft-throttled0000000001';
    await stack.admin('POST', 'faults', {
      operation: 'Jobs_Get',
      status: 429,
      retryAfterSeconds: 120,
      count: 1,
    });
    expect(await stack.activities.getJob({ jobName: runId })).toMatchObject({
      ok: false,
      error: {
        code: 'AZUREML.THROTTLED',
        details: { status: 429, serviceCode: 'TooManyRequests', retryAfterSeconds: 120 },
      },
    });
  });

  it('rethrows any other error, so the durable retry policy sees it', async () => {
    await expect(expected(() => Promise.reject(new Error('socket hang up')))).rejects.toThrow(
      'socket hang up',
    );
  });
});

describe('isOwnedBy and notOwned', () => {
  const endpoint = (tags: Record<string, string>): EndpointInfo => ({
    name: 'ft-x-ab12',
    id: '/subscriptions/s/endpoints/ft-x-ab12',
    provisioningState: 'Succeeded',
    tags,
    traffic: {},
  });

  it('an endpoint is owned by the run its autopilot-run-id tag names', () => {
    expect(isOwnedBy(endpoint({ 'autopilot-run-id': 'ft-x' }), 'ft-x')).toBe(true);
    expect(isOwnedBy(endpoint({ 'autopilot-run-id': 'ft-y' }), 'ft-x')).toBe(false);
    expect(isOwnedBy(endpoint({}), 'ft-x')).toBe(false);
  });

  it('notOwned is DEPLOY.ENDPOINT_NOT_OWNED naming the endpoint and the run', () => {
    expect(notOwned('ft-x-ab12', 'ft-y')).toEqual({
      ok: false,
      error: {
        code: 'DEPLOY.ENDPOINT_NOT_OWNED',
        message: 'endpoint ft-x-ab12 exists but was not created by run ft-y; it is left untouched',
      },
    });
  });
});

describe('requireOwnedEndpoint', () => {
  it('is the endpoint when this run created it', async () => {
    const runId = 'ft-sharedowned000000000';
    const endpointName = 'ft-sharedowned0-ab12';
    expect((await stack.activities.startEndpoint({ runId, endpointName })).ok).toBe(true);
    const result = await requireOwnedEndpoint(createPorts(stack.config).gateway, endpointName, runId);
    expect(result).toMatchObject({
      ok: true,
      value: { name: endpointName, tags: { 'autopilot-run-id': runId } },
    });
  });

  it('is DEPLOY.ENDPOINT_NOT_OWNED when another run created it', async () => {
    const endpointName = 'ft-sharedother0-ab12';
    expect(
      (await stack.activities.startEndpoint({ runId: 'ft-sharedother000000000', endpointName })).ok,
    ).toBe(true);
    expect(await requireOwnedEndpoint(createPorts(stack.config).gateway, endpointName, 'ft-y')).toEqual({
      ok: false,
      error: {
        code: 'DEPLOY.ENDPOINT_NOT_OWNED',
        message: `endpoint ${endpointName} exists but was not created by run ft-y; it is left untouched`,
      },
    });
  });

  it('is DEPLOY.FAILED when the endpoint no longer exists', async () => {
    expect(
      await requireOwnedEndpoint(createPorts(stack.config).gateway, 'ft-gone000000000-ab12', 'ft-x'),
    ).toEqual({
      ok: false,
      error: {
        code: 'DEPLOY.FAILED',
        message: 'endpoint ft-gone000000000-ab12 no longer exists (deleted while the run was deploying)',
      },
    });
  });
});
