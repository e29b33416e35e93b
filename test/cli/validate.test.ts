import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatBytes, progressReporter } from '../../src/cli/validate.js';
import { ultrachatRows, writeUltrachatParquet } from '../adapters/parquetFixture.js';
import { captureIo } from './io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'validate-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function run(args: string[], stdin?: string | Uint8Array) {
  const { io, out } = captureIo(stdin);
  const code = await main(['validate', ...args], io);
  return { code, ...out };
}

describe('autopilot validate', () => {
  it('exits 0 on a valid file and prints a summary', async () => {
    const { code, stdout, stderr } = await run([await file('ok.jsonl', jsonl(ultrachatRows(3)))]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('ok.jsonl: VALID (jsonl, 3 rows, 3 valid');
    expect(stdout).toContain('  turns               2 / 2 / 2');
  });

  it('exits 1 with one JSON object on stdout for an invalid file', async () => {
    const rows: unknown[] = ultrachatRows(2);
    rows.splice(1, 0, {
      messages: [
        { role: 'bot', content: 'hi' },
        { role: 'bot', content: 'x' },
        { role: 'bot', content: 'y' },
      ],
    });
    const { code, stdout } = await run(['--json', '--max-errors', '2', await file('bad.jsonl', jsonl(rows))]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      valid: false,
      rows: 3,
      validRows: 2,
      counts: { 'DATASET.INVALID_ROLE': 3 },
      errors: [
        {
          line: 2,
          code: 'DATASET.INVALID_ROLE',
          message: "line 2: message 1 has role 'bot'; expected system, user or assistant",
        },
        {
          line: 2,
          code: 'DATASET.INVALID_ROLE',
          message: "line 2: message 2 has role 'bot'; expected system, user or assistant",
        },
      ],
      warnings: [],
    });
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it('shows errors and warnings with their totals in the summary', async () => {
    const rows = [
      { messages: [] },
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a' },
          { role: 'user', content: 'q' },
        ],
      },
    ];
    const { code, stdout } = await run(['--max-errors', '0', await file('mixed.jsonl', jsonl(rows))]);
    expect(code).toBe(1);
    expect(stdout).toContain('errors (1, first 0 shown):');
    expect(stdout).toContain('warnings (1, first 0 shown):');
    expect(stdout).toContain('  DATASET.EMPTY_MESSAGES         1');
  });

  it('warns about long conversations with --max-seq-length, still exiting 0', async () => {
    const rows = [
      {
        messages: [
          { role: 'user', content: 'x'.repeat(40) },
          { role: 'assistant', content: 'y'.repeat(40) },
        ],
      },
    ];
    const { code, stdout } = await run([
      '--json',
      '--max-seq-length',
      '10',
      await file('long.jsonl', jsonl(rows)),
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, counts: { 'DATASET.TOO_MANY_TOKENS': 1 } });
  });

  it('validates Parquet', async () => {
    const path = join(dir, 'train.parquet');
    await writeUltrachatParquet(path, ultrachatRows(4));
    const { code, stdout } = await run(['--json', path]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, format: 'parquet', rows: 4 });
  });

  it('reads stdin for -, JSONL or Parquet', async () => {
    expect(await run(['--json', '-'], jsonl(ultrachatRows(2)))).toMatchObject({ code: 0 });
    const path = join(dir, 'piped.parquet');
    await writeUltrachatParquet(path, ultrachatRows(3));
    const { readFile } = await import('node:fs/promises');
    const piped = await run(['--json', '-'], await readFile(path));
    expect(JSON.parse(piped.stdout)).toMatchObject({ valid: true, format: 'parquet', rows: 3 });
  });

  it.each([
    ['empty.jsonl', '', 'DATASET.EMPTY_FILE'],
    ['gzipped.jsonl', gzipSync(jsonl(ultrachatRows(2))), 'DATASET.COMPRESSED'],
    ['binary.jsonl', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0]), 'DATASET.BINARY'],
    [
      'latin1.jsonl',
      Uint8Array.from([...Buffer.from('{"messages": "caf'), 0xe9, 0x22, 0x7d, 0x0a]),
      'DATASET.NOT_UTF8',
    ],
  ])('exits 1 for %s', async (name, content, errorCode) => {
    const { code, stdout } = await run(['--json', await file(name, content)]);
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as { errors: { code: string }[] }).errors.map((f) => f.code)).toEqual([
      errorCode,
    ]);
  });

  it('exits 2 for a missing file, naming it', async () => {
    const path = join(dir, 'nope.jsonl');
    expect(await run([path])).toEqual({
      code: 2,
      stdout: '',
      stderr: `autopilot: cannot read '${path}': no such file\n`,
    });
  });

  it.each([
    [[], "autopilot validate: expected a file path or '-' for stdin"],
    [['a.jsonl', 'b.jsonl'], 'autopilot validate: expected one file, got 2'],
    [
      ['--max-errors', 'lots', 'a.jsonl'],
      "autopilot validate: --max-errors must be a whole number from 0 to 9007199254740991, got 'lots'",
    ],
    [
      ['--max-seq-length', '0', 'a.jsonl'],
      "autopilot validate: --max-seq-length must be a whole number from 1 to 9007199254740991, got '0'",
    ],
    [['--frobnicate', 'a.jsonl'], "autopilot validate: Unknown option '--frobnicate'"],
  ])('exits 2 for usage errors (%j)', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(message);
  });

  it('shows progress on a terminal for large inputs only, and clears it', () => {
    const { io, out } = captureIo('', { stderrIsTTY: true });
    const progress = progressReporter(io, 'big.jsonl', 200e6);
    progress?.update(50e6);
    progress?.update(60e6); // within the refresh interval: not shown
    progress?.done();
    expect(out.stderr).toBe('\rbig.jsonl: 50.0 MB read (25%)   \r\x1b[K');
    expect([
      formatBytes(812),
      formatBytes(12_345),
      formatBytes(63_200_000),
      formatBytes(1_312_000_000),
    ]).toEqual(['812 bytes', '12.3 kB', '63.2 MB', '1.31 GB']);
    expect(progressReporter(io, 'small.jsonl', 1e6)).toBeUndefined();
    expect(progressReporter(captureIo().io, 'big.jsonl', 200e6)).toBeUndefined();
  });

  it('shows progress for stdin only once it has proved large', () => {
    const { io, out } = captureIo('', { stderrIsTTY: true });
    const progress = progressReporter(io, 'stdin', undefined);
    progress?.update(1e6);
    expect(out.stderr).toBe('');
    progress?.update(40e6);
    expect(out.stderr).toBe('\rstdin: 40.0 MB read   ');
  });

  it('prints no progress for a small file even on a terminal', async () => {
    const { io, out } = captureIo('', { stderrIsTTY: true });
    expect(await main(['validate', await file('small.jsonl', jsonl(ultrachatRows(1)))], io)).toBe(0);
    expect(out.stderr).toBe('');
  });
});
