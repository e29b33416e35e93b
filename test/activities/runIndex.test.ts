// indexRun over the real adapter (createPorts) against a real Azurite table service: the row a
// view becomes, the start time the first write fixes, idempotence, and the failure policy
// (a refusal is a failed Result, spending no retries; a fault throws so the host retries).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { createPorts } from '../../src/adapters/index.js';
import { newRunView, runEnded, stepStarted, stepSucceeded, withPatch } from '../../src/domain/runView.js';
import { startAzuriteBlobAndTable, type AzuriteBlob } from '../support/azurite.js';
import { testConfig } from '../runs/support.js';

let azurite: AzuriteBlob;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzuriteBlobAndTable();
});
afterAll(async () => {
  await azurite.close();
});

const RUN_ID = 'ft-0123456789abcdef0123';
const DATASET = { container: 'training-data', path: 'incoming/Support Chat/train.jsonl', etag: '0x8DC' };

/** The activities and ports over a new table of the shared Azurite, with a fixed clock. */
function setup(connectionString = azurite.connectionString) {
  const config = testConfig(connectionString, { RUN_INDEX_TABLE: `activities${++tables}` });
  const ports = createPorts(config);
  const activities = createActivities(ports, config, { now: () => new Date('2026-02-03T04:05:06.007Z') });
  return { ports, activities };
}

describe('indexRun', () => {
  it('writes a fresh view (no step started) as Running at validate, started by the clock, its line slugged from the dataset', async () => {
    const { ports, activities } = setup();

    const result = await activities.indexRun({ view: newRunView(RUN_ID, DATASET) });

    expect(result).toEqual({ ok: true, value: { startedAt: '2026-02-03T04:05:06.007Z' } });
    expect(await ports.runIndex.list({ top: 20 })).toEqual({
      runs: [
        {
          runId: RUN_ID,
          line: 'support-chat',
          dataset: DATASET,
          status: 'Running',
          step: 'validate',
          startedAt: '2026-02-03T04:05:06.007Z',
        },
      ],
    });
  });

  it('ends with the final view: status, step, end, model; the start of the first write kept', async () => {
    const { ports, activities } = setup();
    const fresh = newRunView(RUN_ID, DATASET);
    const validating = stepStarted(fresh, 'validate', '2026-02-03T04:05:07.000Z');
    const registered = withPatch(
      stepSucceeded(
        stepStarted(validating, 'register', '2026-02-03T05:00:00.000Z'),
        'register',
        '2026-02-03T05:01:00.000Z',
      ),
      {
        model: { name: 'Phi-4-ft', version: '42', id: 'azureml://models/Phi-4-ft/versions/42' },
      },
    );
    const done = runEnded(
      stepSucceeded(registered, 'smokeTest', '2026-02-03T05:30:00.000Z'),
      'Succeeded',
      '2026-02-03T05:30:01.000Z',
    );
    for (const view of [fresh, validating, registered, done]) await activities.indexRun({ view });

    expect(await ports.runIndex.list({ top: 20 })).toEqual({
      runs: [
        {
          runId: RUN_ID,
          line: 'support-chat',
          dataset: DATASET,
          status: 'Succeeded',
          step: 'smokeTest',
          startedAt: '2026-02-03T04:05:06.007Z',
          endedAt: '2026-02-03T05:30:01.000Z',
          model: 'Phi-4-ft:42',
        },
      ],
    });
  });

  it('is idempotent: the same view written twice is one row with the same values', async () => {
    const { ports, activities } = setup();
    const view = stepStarted(newRunView(RUN_ID, DATASET), 'prepare', '2026-02-03T04:06:00.000Z');
    const first = await activities.indexRun({ view });
    const second = await activities.indexRun({ view });

    expect(second).toEqual(first);
    expect((await ports.runIndex.list({ top: 20 })).runs.map((r) => [r.runId, r.step])).toEqual([
      [RUN_ID, 'prepare'],
    ]);
  });

  it('answers a refusal (403: a wrong key) with a failed Result, so no retry is spent', async () => {
    const wrongKey = azurite.connectionString.replace(
      /AccountKey=[^;]+;/,
      `AccountKey=${Buffer.from('wrong').toString('base64')};`,
    );
    const { activities } = setup(wrongKey);

    const result = await activities.indexRun({ view: newRunView(RUN_ID, DATASET) });

    expect(result).toMatchObject({ ok: false, error: { code: 'STORAGE.FORBIDDEN' } });
  });

  it('throws a fault (the table service unreachable), so the host retries it', async () => {
    const unreachable = azurite.connectionString.replace(
      /TableEndpoint=[^;]+;/,
      'TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
    );
    const { activities } = setup(unreachable);

    await expect(activities.indexRun({ view: newRunView(RUN_ID, DATASET) })).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'STORAGE.UNREACHABLE',
    });
  }, 60_000);
});
