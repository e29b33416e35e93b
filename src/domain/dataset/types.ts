// Provisional copy of the dataset gate's public types (the dataset branch owns this file).
export interface Finding {
  line: number;
  code: string;
  message: string;
}
export interface ValidateOptions {
  maxErrors?: number;
  maxSeqLength?: number;
  maxLineBytes?: number;
  onProgress?: (bytesRead: number) => void;
}
export interface ValidationReport {
  valid: boolean;
  format: 'jsonl' | 'parquet';
  rows: number;
  validRows: number;
  errors: Finding[];
  warnings: Finding[];
  counts: Record<string, number>;
  stats: Record<string, unknown>;
}
/** Random access, for Parquet. */
export interface ByteSource {
  readonly byteLength: number;
  read(start: number, end: number): Promise<Uint8Array>;
}
/** A dataset as any adapter can offer it: a local file, stdin, a blob. */
export interface DatasetInput {
  readonly name: string;
  readonly format: 'jsonl' | 'parquet';
  stream(): AsyncIterable<Uint8Array>;
  readonly random?: ByteSource;
}
export interface TextSink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}
export interface PrepareOptions {
  samplePercent: number;
  testPercent: number;
  seed: number;
  validate?: ValidateOptions;
}
export interface PrepareResult {
  report: ValidationReport;
  testReport?: ValidationReport;
  trainRows: number;
  testRows: number;
}
