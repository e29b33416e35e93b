import { writeFile } from 'node:fs/promises';
import { parquetWriteBuffer } from 'hyparquet-writer';

export interface UltrachatRow {
  prompt?: string | null;
  prompt_id?: string | null;
  messages: { content: string | null; role: string | null }[] | null;
}

/** Writes rows in the Hugging Face ultrachat layout: prompt, prompt_id, messages: list<struct<content, role>>. */
export async function writeUltrachatParquet(
  path: string,
  rows: UltrachatRow[],
  rowGroupSize = 1000,
): Promise<void> {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'prompt', data: rows.map((r) => r.prompt ?? null) },
      { name: 'prompt_id', data: rows.map((r) => r.prompt_id ?? null) },
      { name: 'messages', data: rows.map((r) => r.messages) },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'prompt', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'prompt_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'messages', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
    rowGroupSize,
  });
  await writeFile(path, new Uint8Array(buffer));
}

/** A Parquet file with other columns only. */
export async function writeOtherParquet(path: string): Promise<void> {
  const buffer = parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a', 'b'] }] });
  await writeFile(path, new Uint8Array(buffer));
}

export function ultrachatRows(count: number): UltrachatRow[] {
  return Array.from({ length: count }, (_, i) => ({
    prompt: `question ${i}`,
    prompt_id: `id-${i}`,
    messages: [
      { content: `question ${i}`, role: 'user' },
      { content: `answer ${i}`, role: 'assistant' },
    ],
  }));
}
