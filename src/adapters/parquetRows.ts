import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { ByteSource } from '../domain/dataset/types.js';

/** The ultrachat columns; anything else in the file is not read. */
export const PARQUET_COLUMNS = ['prompt', 'prompt_id', 'messages'] as const;

export interface ParquetLayout {
  metadata: FileMetaData;
  /** Top-level column names in the file. */
  columns: string[];
}

/** hyparquet's AsyncBuffer over our ByteSource, counting the bytes it reads. */
export function asyncBuffer(source: ByteSource, onRead?: (bytes: number) => void): AsyncBuffer {
  return {
    byteLength: source.byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await source.read(start, end ?? source.byteLength);
      onRead?.(bytes.length);
      if (
        bytes.byteOffset === 0 &&
        bytes.byteLength === bytes.buffer.byteLength &&
        bytes.buffer instanceof ArrayBuffer
      ) {
        return bytes.buffer;
      }
      // A copy of just these bytes. Not bytes.slice(): on a Node Buffer (pooled, offset) it is a view.
      return Uint8Array.prototype.slice.call(bytes).buffer;
    },
  };
}

export async function readParquetLayout(file: AsyncBuffer): Promise<ParquetLayout> {
  const metadata = await parquetMetadataAsync(file);
  const root = metadata.schema[0];
  const columns: string[] = [];
  // Top-level fields follow the root in depth-first order; skip each field's descendants.
  let index = 1;
  for (let child = 0; child < (root?.num_children ?? 0); child++) {
    const element = metadata.schema[index];
    if (element === undefined) break;
    columns.push(element.name);
    index += 1 + countDescendants(metadata, index);
  }
  return { metadata, columns };
}

function countDescendants(metadata: FileMetaData, index: number): number {
  const children = metadata.schema[index]?.num_children ?? 0;
  let total = 0;
  let next = index + 1;
  for (let c = 0; c < children; c++) {
    const size = 1 + countDescendants(metadata, next);
    total += size;
    next += size;
  }
  return total;
}

/**
 * Yields the rows of a Parquet file one row group at a time, so memory holds one group's rows
 * (as the file's writer sized them), never the whole file.
 */
export async function* parquetRowGroups(
  file: AsyncBuffer,
  layout: ParquetLayout,
): AsyncGenerator<Record<string, unknown>[]> {
  const columns = PARQUET_COLUMNS.filter((c) => layout.columns.includes(c));
  let rowStart = 0;
  for (const group of layout.metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[] = [];
    await parquetRead({
      file,
      metadata: layout.metadata,
      columns,
      rowStart,
      rowEnd,
      rowFormat: 'object',
      onComplete: (result) => {
        rows = result;
      },
    });
    yield rows;
    rowStart = rowEnd;
  }
}
