// The official examples recorded under test/fixtures/azure/: each file is a fact with its `source`
// (the public file it was copied from) and the example as published, so tests serve and parse
// what the service documents rather than what we assumed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../fixtures/azure/', import.meta.url));

export interface RecordedExample {
  /** `<owner>/<repo> <path>` of the public file. */
  readonly source: string;
  readonly commit?: string;
  readonly operation?: string;
  readonly example: {
    readonly parameters: Readonly<Record<string, unknown>>;
    readonly responses: Readonly<Record<string, { readonly body?: unknown; readonly headers?: unknown }>>;
  };
}

export interface RecordedEvents {
  readonly source: string;
  readonly commit?: string;
  /** The events as published (Event Grid schema). */
  readonly events: readonly Record<string, unknown>[];
}

function read(relativePath: string): unknown {
  return JSON.parse(readFileSync(`${ROOT}${relativePath}`, 'utf8')) as unknown;
}

export function armExample(relativePath: string): RecordedExample {
  const fixture = read(relativePath) as RecordedExample;
  if (typeof fixture.source !== 'string' || fixture.source === '') {
    throw new Error(`${relativePath}: a recorded example must name its source`);
  }
  return fixture;
}

/** The body of one documented response (default: the first one listed). */
export function responseBody(fixture: RecordedExample, status?: string): unknown {
  const code = status ?? Object.keys(fixture.example.responses)[0] ?? '200';
  const response = fixture.example.responses[code];
  if (response === undefined) throw new Error(`${fixture.source} documents no ${code} response`);
  return response.body;
}

export function eventExample(relativePath: string): RecordedEvents {
  const fixture = read(relativePath) as RecordedEvents;
  if (typeof fixture.source !== 'string' || fixture.source === '') {
    throw new Error(`${relativePath}: a recorded example must name its source`);
  }
  return fixture;
}
