// The run index over Azure Table Storage (@azure/data-tables): locally Azurite's table service
// through the connection string, in Azure the account's table endpoint with the app's identity
// (Storage Table Data Contributor, infra/main.json). Keys and cursor: src/domain/runIndex.ts.
//
// Two kinds of row in one table: the list rows (partition `runs`, row key = inverted start time +
// run id, so the partition's own order is newest first and one query returns one page), and one
// lookup row per run (partition `ids`, row key = run id) that remembers its list row key, because
// later writes know the run id but not the start time the first write chose.
import { odata, TableClient, type TableEntityResult } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { StorageSettings } from '../config.js';
import { DomainError } from '../domain/errors.js';
import type { RunIndex } from '../domain/ports.js';
import {
  ID_PARTITION,
  isRunStatus,
  LIST_PARTITION,
  listRowKey,
  type RunIndexCursor,
  type RunIndexPage,
  type RunIndexQuery,
  type RunSummary,
} from '../domain/runIndex.js';
import type { StepId } from '../domain/runView.js';
import { isNotFound, toServiceError } from './errors.js';

/** Requests one list may make to fill a page (a filter can make the table answer short pages). */
const MAX_ROUNDS_PER_PAGE = 5;
const CONFLICT = 409;
const BAD_REQUEST = 400;

export function createRunIndexClient(storage: StorageSettings, table: string): TableClient {
  if (storage.connectionString !== undefined) {
    // Azurite speaks plain http; Azure connection strings are https and unaffected.
    return TableClient.fromConnectionString(storage.connectionString, table, {
      allowInsecureConnection: true,
    });
  }
  if (storage.tableServiceUrl !== undefined) {
    const credential =
      storage.clientId === undefined
        ? new DefaultAzureCredential()
        : new DefaultAzureCredential({ managedIdentityClientId: storage.clientId });
    return new TableClient(storage.tableServiceUrl, table, credential);
  }
  throw new Error('storage settings name neither a connection string nor a table service URL');
}

/** The list row's columns (PartitionKey and RowKey aside). */
interface ListRow {
  RunId: string;
  Line?: string;
  DatasetContainer: string;
  DatasetPath: string;
  DatasetEtag: string;
  Status: string;
  Step: string;
  StartedAt: string;
  EndedAt?: string;
  Model?: string;
}

const LIST_COLUMNS: readonly (keyof ListRow)[] = [
  'RunId',
  'Line',
  'DatasetContainer',
  'DatasetPath',
  'DatasetEtag',
  'Status',
  'Step',
  'StartedAt',
  'EndedAt',
  'Model',
];

interface IdRow {
  ListRowKey: string;
  StartedAt: string;
}

export class TableRunIndex implements RunIndex {
  private tableReady: Promise<void> | undefined;

  /** `client` is built lazily: settings without a table endpoint fail only when the index is used. */
  constructor(private readonly client: () => TableClient) {}

  async put(
    summary: RunSummary,
    options: { readonly onlyIfAbsent?: boolean; readonly abortSignal?: AbortSignal } = {},
  ): Promise<RunSummary> {
    const where = `run index row of ${summary.runId}`;
    const signal = options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal };
    try {
      return await this.write(summary, options.onlyIfAbsent === true, signal);
    } catch (error) {
      if (!isTableNotFound(error)) throw toServiceError('STORAGE', `write ${where}`, error);
    }
    // The first write of a fresh account: make the table, then write once more.
    await this.ensureTable();
    try {
      return await this.write(summary, options.onlyIfAbsent === true, signal);
    } catch (error) {
      throw toServiceError('STORAGE', `write ${where}`, error);
    }
  }

  async list(query: RunIndexQuery): Promise<RunIndexPage> {
    const filter = [
      odata`PartitionKey eq ${LIST_PARTITION}`,
      ...(query.status === undefined ? [] : [odata`Status eq ${query.status}`]),
      ...(query.line === undefined ? [] : [odata`Line eq ${query.line}`]),
    ].join(' and ');
    const runs: RunSummary[] = [];
    let token = query.after === undefined ? undefined : sdkToken(query.after);
    try {
      for (let round = 0; round < MAX_ROUNDS_PER_PAGE && runs.length < query.top; round++) {
        const pages = this.client()
          .listEntities<ListRow>({ queryOptions: { filter, select: [...LIST_COLUMNS] } })
          .byPage({
            maxPageSize: query.top - runs.length,
            ...(token === undefined ? {} : { continuationToken: token }),
          });
        const page = (await pages.next()).value as
          (TableEntityResult<ListRow>[] & { continuationToken?: string }) | undefined;
        for (const entity of page ?? []) {
          const summary = summaryOf(entity);
          if (summary !== undefined) runs.push(summary);
        }
        token = page?.continuationToken;
        if (token === undefined) break;
      }
    } catch (error) {
      // No table yet: nothing was ever indexed.
      if (isTableNotFound(error)) return { runs: [] };
      // A well-formed token the table cannot resume from was not one of its own.
      if (query.after !== undefined && isStatus(error, BAD_REQUEST)) {
        throw new DomainError('REQUEST.INVALID_QUERY', 'continuationToken: not a token this API returned');
      }
      throw toServiceError('STORAGE', 'list the run index', error);
    }
    const next = token === undefined ? undefined : cursorOf(token);
    return { runs, ...(next === undefined ? {} : { next }) };
  }

  private ensureTable(): Promise<void> {
    this.tableReady ??= this.client()
      .createTable()
      .catch((error: unknown) => {
        this.tableReady = undefined;
        throw toServiceError('STORAGE', 'create the run index table', error);
      });
    return this.tableReady;
  }

  private async write(
    summary: RunSummary,
    onlyIfAbsent: boolean,
    signal: { readonly abortSignal?: AbortSignal },
  ): Promise<RunSummary> {
    const client = this.client();
    const known = await this.idRow(client, summary.runId, signal);
    let id = known;
    if (id === undefined) {
      const fresh: IdRow = {
        ListRowKey: listRowKey(summary.startedAt, summary.runId),
        StartedAt: summary.startedAt,
      };
      try {
        await client.createEntity({ partitionKey: ID_PARTITION, rowKey: summary.runId, ...fresh }, signal);
        id = fresh;
      } catch (error) {
        // A concurrent first write won: its start time is the run's.
        if (!isStatus(error, CONFLICT)) throw error;
        id = await this.idRow(client, summary.runId, signal);
        if (id === undefined) throw error;
      }
    }
    const kept: RunSummary = { ...summary, startedAt: id.StartedAt };
    const entity = { partitionKey: LIST_PARTITION, rowKey: id.ListRowKey, ...rowOf(kept) };
    if (onlyIfAbsent) {
      if (known !== undefined) return kept;
      try {
        await client.createEntity(entity, signal);
      } catch (error) {
        if (!isStatus(error, CONFLICT)) throw error;
      }
      return kept;
    }
    // Merge: a column this write does not carry (EndedAt, Model before they exist) is kept.
    await client.upsertEntity(entity, 'Merge', signal);
    return kept;
  }

  private async idRow(
    client: TableClient,
    runId: string,
    signal: { readonly abortSignal?: AbortSignal },
  ): Promise<IdRow | undefined> {
    try {
      const row = await client.getEntity<IdRow>(ID_PARTITION, runId, signal);
      return typeof row.ListRowKey === 'string' && typeof row.StartedAt === 'string'
        ? { ListRowKey: row.ListRowKey, StartedAt: row.StartedAt }
        : undefined;
    } catch (error) {
      if (isNotFound(error) && !isTableNotFound(error)) return undefined;
      throw error;
    }
  }
}

function rowOf(summary: RunSummary): ListRow {
  return {
    RunId: summary.runId,
    ...(summary.line === undefined ? {} : { Line: summary.line }),
    DatasetContainer: summary.dataset.container,
    DatasetPath: summary.dataset.path,
    DatasetEtag: summary.dataset.etag,
    Status: summary.status,
    Step: summary.step,
    StartedAt: summary.startedAt,
    ...(summary.endedAt === undefined ? {} : { EndedAt: summary.endedAt }),
    ...(summary.model === undefined ? {} : { Model: summary.model }),
  };
}

/** A row as a summary; a row this code did not write (no run id or status) is skipped. */
function summaryOf(row: Partial<ListRow>): RunSummary | undefined {
  if (typeof row.RunId !== 'string' || typeof row.Status !== 'string' || !isRunStatus(row.Status)) {
    return undefined;
  }
  return {
    runId: row.RunId,
    ...(typeof row.Line === 'string' ? { line: row.Line } : {}),
    dataset: {
      container: row.DatasetContainer ?? '',
      path: row.DatasetPath ?? '',
      etag: row.DatasetEtag ?? '',
    },
    status: row.Status,
    step: (row.Step ?? 'validate') as StepId,
    startedAt: row.StartedAt ?? '',
    ...(typeof row.EndedAt === 'string' ? { endedAt: row.EndedAt } : {}),
    ...(typeof row.Model === 'string' ? { model: row.Model } : {}),
  };
}

/**
 * The SDK's continuation token is base64 of JSON {nextPartitionKey, nextRowKey}, the table's two
 * continuation headers (@azure/data-tables utils/continuationToken.js); the cursor keeps the two
 * values as they are and test/adapters/runIndex.test.ts pins the round trip.
 */
function cursorOf(token: string): RunIndexCursor | undefined {
  try {
    const { nextPartitionKey, nextRowKey } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      nextPartitionKey?: unknown;
      nextRowKey?: unknown;
    };
    if (typeof nextPartitionKey === 'string' && nextPartitionKey !== '') {
      return {
        nextPartitionKey,
        ...(typeof nextRowKey === 'string' && nextRowKey !== '' ? { nextRowKey } : {}),
      };
    }
  } catch {
    // not the SDK's format: no next page we can name
  }
  return undefined;
}

function sdkToken(cursor: RunIndexCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64');
}

function isStatus(error: unknown, status: number): boolean {
  return (error as { statusCode?: unknown } | null)?.statusCode === status;
}

/** The table itself is missing (404 TableNotFound), not a row. */
function isTableNotFound(error: unknown): boolean {
  if (!isNotFound(error)) return false;
  const { code, response } = error as { code?: unknown; response?: { bodyAsText?: unknown } };
  // The SDK leaves `code` unset for the JSON odata.error body; the code is in the body.
  return (
    code === 'TableNotFound' ||
    (typeof response?.bodyAsText === 'string' && response.bodyAsText.includes('"TableNotFound"'))
  );
}
