// DurableRunInstances over the REAL DurableClient (built by durable-functions' getClient from the
// durableClient input, as the host hands it over) against a local HTTP server playing the Durable
// extension's HTTP API and recording what the client sends.
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FineTuneInput } from '../../src/orchestration/contract.js';
import { DurableRunInstances } from '../../src/adapters/durableRunInstances.js';

interface Recorded {
  method: string;
  path: string;
  body: string;
  continuationToken?: string;
}

type Reply = (request: Recorded) => { status: number; body?: unknown; headers?: Record<string, string> };

let server: Server;
let baseUrl: string;
let recorded: Recorded[] = [];
let reply: Reply = () => ({ status: 500 });

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = req.headers['x-ms-continuation-token'];
      const entry: Recorded = { method: req.method ?? '', path: req.url ?? '', body };
      if (typeof token === 'string') entry.continuationToken = token;
      recorded.push(entry);
      const { status, body: out, headers } = reply(entry);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(out === undefined ? '' : JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/durabletask/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  recorded = [];
});

function realClient(): df.DurableClient {
  const clientInput = df.input.durableClient();
  const context = new InvocationContext({ options: { extraInputs: [clientInput] } });
  const unused = `${baseUrl}unused`;
  context.extraInputs.set(clientInput, {
    taskHubName: 'autopilotlocal',
    creationUrls: { createNewInstancePostUri: unused, createAndWaitOnNewInstancePostUri: unused },
    managementUrls: { id: 'INSTANCEID', statusQueryGetUri: unused, sendEventPostUri: unused },
    baseUrl,
    requiredQueryStringParameters: '',
    rpcBaseUrl: baseUrl,
  });
  return df.getClient(context);
}

const input = { runId: 'ft-1' } as unknown as FineTuneInput;
const status = (instanceId: string, name = 'fineTuneOrchestrator') => ({
  name,
  instanceId,
  runtimeStatus: 'Running',
  createdTime: '2026-01-01T00:00:00Z',
  lastUpdatedTime: '2026-01-01T00:00:01Z',
  input: { runId: instanceId },
  customStatus: { runId: instanceId, steps: [] },
  output: null,
});

describe('DurableRunInstances over the real DurableClient', () => {
  it('starts fineTuneOrchestrator under the run id with the input as the body', async () => {
    reply = () => ({ status: 202, body: { id: 'ft-1' } });
    expect(await new DurableRunInstances(realClient()).start('ft-1', input)).toBe('started');
    expect(recorded).toEqual([
      {
        method: 'POST',
        path: '/runtime/webhooks/durabletask/orchestrators/fineTuneOrchestrator/ft-1',
        body: '{"runId":"ft-1"}',
      },
    ]);
  });

  it('reports an instance that already exists (409 from the extension) as exists', async () => {
    reply = () => ({ status: 409, body: { message: 'An instance with ID ft-1 already exists.' } });
    expect(await new DurableRunInstances(realClient()).start('ft-1', input)).toBe('exists');
  });

  it('rethrows other start failures', async () => {
    reply = () => ({ status: 500, body: { message: 'storage down' } });
    await expect(new DurableRunInstances(realClient()).start('ft-1', input)).rejects.toThrow(/500/);
  });

  it('gets an instance with its input, and undefined for 404', async () => {
    reply = (r) => (r.path.includes('ft-1') ? { status: 200, body: status('ft-1') } : { status: 404 });
    const runs = new DurableRunInstances(realClient());
    expect(await runs.get('ft-1')).toEqual({
      instanceId: 'ft-1',
      runtimeStatus: 'Running',
      createdTime: '2026-01-01T00:00:00.000Z',
      input: { runId: 'ft-1' },
      customStatus: { runId: 'ft-1', steps: [] },
      output: undefined,
    });
    expect(recorded[0]).toMatchObject({
      method: 'GET',
      path: '/runtime/webhooks/durabletask/instances/ft-1?showInput=true',
    });
    expect(await runs.get('ft-2')).toBeUndefined();
  });

  it('lists fine-tune instances across continuation pages, leaving other orchestrations out', async () => {
    reply = (r) =>
      r.continuationToken === undefined
        ? {
            status: 200,
            body: [status('ft-1'), status('other', 'someOtherOrchestrator')],
            headers: { 'x-ms-continuation-token': 'page2' },
          }
        : { status: 200, body: [status('ft-2')] };
    const list = await new DurableRunInstances(realClient()).list();
    expect(list.map((i) => i.instanceId)).toEqual(['ft-1', 'ft-2']);
    expect(recorded.map((r) => [r.path, r.continuationToken])).toEqual([
      ['/runtime/webhooks/durabletask/instances/', undefined],
      ['/runtime/webhooks/durabletask/instances/', 'page2'],
    ]);
  });

  it('raises an event by name with the payload as the body', async () => {
    reply = () => ({ status: 202 });
    await new DurableRunInstances(realClient()).raise('ft-1', 'JobFinished', { status: 'Completed' });
    expect(recorded).toEqual([
      {
        method: 'POST',
        path: '/runtime/webhooks/durabletask/instances/ft-1/raiseEvent/JobFinished',
        body: '{"status":"Completed"}',
      },
    ]);
  });
});
