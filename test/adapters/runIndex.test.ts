// The run index over Azure Table Storage against a real Azurite table service, through the real
// @azure/data-tables client. Each case writes runs of its own table, so any case runs alone.
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunIndexClient, TableRunIndex } from '../../src/adapters/runIndex.js';
import type { RunSummary } from '../../src/domain/runIndex.js';
import { startAzuriteTable, type AzuriteTable } from '../support/azurite.js';

let azurite: AzuriteTable;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzuriteTable();
});
afterAll(async () => {
  await azurite.close();
});

/** A fresh table per case. */
function freshIndex(): { index: TableRunIndex; client: TableClient } {
  const client = createRunIndexClient(
    { connectionString: azurite.connectionString, trainingContainer: 'training-data' },
    `runindex${++tables}`,
  );
  return { index: new TableRunIndex(() => client), client };
}

const id = (n: number): string => `ft-${String(n).padStart(20, '0')}`;

function summary(n: number, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: id(n),
    line: 'chat',
    dataset: { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: `0x${n}` },
    status: 'Running',
    step: 'validate',
    startedAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
    ...extra,
  };
}

describe('TableRunIndex (Azurite)', () => {
  it('lists nothing before anything was written (the table does not exist yet)', async () => {
    const { index } = freshIndex();
    expect(await index.list({ top: 20 })).toEqual({ runs: [] });
  });

  it('creates its table on the first write and lists the row it wrote', async () => {
    const { index } = freshIndex();
    const written = await index.put(summary(1, { model: 'Phi-4-ft:7' }));

    expect(written).toEqual(summary(1, { model: 'Phi-4-ft:7' }));
    expect(await index.list({ top: 20 })).toEqual({ runs: [summary(1, { model: 'Phi-4-ft:7' })] });
  });

  it('lists newest first, ties in run id order', async () => {
    const { index } = freshIndex();
    await index.put(summary(1));
    await index.put(summary(3));
    await index.put(summary(2));
    await index.put({ ...summary(4), startedAt: summary(3).startedAt });

    const page = await index.list({ top: 20 });

    expect(page.runs.map((r) => r.runId)).toEqual([id(3), id(4), id(2), id(1)]);
  });

  it('keeps the start time of the first write and merges later writes', async () => {
    const { index } = freshIndex();
    await index.put(summary(1));
    await index.put(
      summary(1, {
        status: 'Running',
        step: 'register',
        startedAt: '2026-01-01T00:05:00.000Z',
        model: 'm:1',
      }),
    );
    const last = await index.put(
      summary(1, {
        status: 'Succeeded',
        step: 'smokeTest',
        endedAt: '2026-01-01T01:00:00.000Z',
        startedAt: '2026-01-01T00:09:00.000Z',
      }),
    );

    expect(last).toEqual(
      summary(1, { status: 'Succeeded', step: 'smokeTest', endedAt: '2026-01-01T01:00:00.000Z' }),
    );
    expect(await index.list({ top: 20 })).toEqual({
      runs: [
        summary(1, {
          status: 'Succeeded',
          step: 'smokeTest',
          endedAt: '2026-01-01T01:00:00.000Z',
          model: 'm:1',
        }),
      ],
    });
  });

  it('leaves an existing row as it is when asked to write only if absent', async () => {
    const { index } = freshIndex();
    await index.put(summary(1, { status: 'Failed', step: 'prepare', endedAt: '2026-01-01T00:02:00.000Z' }));

    await index.put(summary(1), { onlyIfAbsent: true });

    expect((await index.list({ top: 20 })).runs).toEqual([
      summary(1, { status: 'Failed', step: 'prepare', endedAt: '2026-01-01T00:02:00.000Z' }),
    ]);
  });

  it('writes a row that is absent when asked to write only if absent', async () => {
    const { index } = freshIndex();
    await index.put(summary(1), { onlyIfAbsent: true });
    expect((await index.list({ top: 20 })).runs).toEqual([summary(1)]);
  });

  it('pages with the table continuation: no token on the last page, every run once', async () => {
    const { index } = freshIndex();
    for (const n of [1, 2, 3, 4, 5]) await index.put(summary(n));

    const first = await index.list({ top: 2 });
    const second = await index.list({ top: 2, ...(first.next && { after: first.next }) });
    const third = await index.list({ top: 2, ...(second.next && { after: second.next }) });

    expect(first.runs.map((r) => r.runId)).toEqual([id(5), id(4)]);
    // The table's own continuation values, kept as they are (Azurite: base64 of the next keys).
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    expect(first.next).toEqual({
      nextPartitionKey: b64('runs'),
      nextRowKey: b64(`${9_999_999_999_999 - Date.parse(summary(3).startedAt)}_${id(3)}`),
    });
    expect(second.runs.map((r) => r.runId)).toEqual([id(3), id(2)]);
    expect(third).toEqual({ runs: [summary(1)] });
  });

  it('a run started between two pages does not shift the next page', async () => {
    const { index } = freshIndex();
    for (const n of [1, 2, 3]) await index.put(summary(n));
    const first = await index.list({ top: 1 });

    await index.put(summary(9));
    const second = await index.list({ top: 1, ...(first.next && { after: first.next }) });

    expect(second.runs.map((r) => r.runId)).toEqual([id(2)]);
  });

  it('filters by status and by line in the table: one match among 30 rows in one page of 1', async () => {
    const { index } = freshIndex();
    for (let n = 1; n <= 30; n++)
      await index.put(summary(n, n === 7 ? { status: 'Failed', line: 'support' } : {}));
    await index.put(summary(31, { status: 'Failed' }));

    // Filtering in this process at one row per request would need 30 requests, more than a page may make.
    const failedSupport = await index.list({ top: 1, status: 'Failed', line: 'support' });
    const support = await index.list({ top: 5, line: 'support' });
    const failed = await index.list({ top: 5, status: 'Failed' });

    expect(failedSupport).toEqual({ runs: [summary(7, { status: 'Failed', line: 'support' })] });
    expect(support.runs.map((r) => r.runId)).toEqual([id(7)]);
    expect(failed.runs.map((r) => r.runId)).toEqual([id(31), id(7)]);
  });

  it('keeps one lookup row per run beside the list rows, which lists never return', async () => {
    const { index, client } = freshIndex();
    await index.put(summary(1));
    await index.put(summary(1, { step: 'prepare' }));

    const rows: { partitionKey?: string; rowKey?: string }[] = [];
    for await (const row of client.listEntities())
      rows.push({ partitionKey: row.partitionKey, rowKey: row.rowKey });

    expect(rows).toEqual([
      { partitionKey: 'ids', rowKey: id(1) },
      { partitionKey: 'runs', rowKey: `${9_999_999_999_999 - Date.parse(summary(1).startedAt)}_${id(1)}` },
    ]);
    expect((await index.list({ top: 20 })).runs).toEqual([summary(1, { step: 'prepare' })]);
  });

  it('throws a transient fault when the table service is unreachable', async () => {
    const client = createRunIndexClient(
      {
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
        trainingContainer: 'training-data',
      },
      'runindex',
    );
    const index = new TableRunIndex(() => client);

    await expect(index.put(summary(1))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      code: 'STORAGE.UNREACHABLE',
    });
  }, 60_000);
});
