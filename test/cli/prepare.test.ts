import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ultrachatRows, writeUltrachatParquet } from '../adapters/parquetFixture.js';
import { captureIo } from './io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prepare-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

async function run(args: string[]) {
  const { io, out } = captureIo();
  const code = await main(['prepare', ...args], io);
  return { code, ...out };
}

describe('autopilot prepare', () => {
  it('writes train.jsonl and test.jsonl, byte-identical for the same input and seed', async () => {
    const input = join(dir, 'in.jsonl');
    await writeFile(input, jsonl(ultrachatRows(1000)));
    const a = await run([
      '--input',
      input,
      '--out',
      join(dir, 'a'),
      '--sample-percent',
      '30',
      '--test-percent',
      '10',
    ]);
    const b = await run([
      '--input',
      input,
      '--out',
      join(dir, 'b'),
      '--sample-percent',
      '30',
      '--test-percent',
      '10',
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toMatch(
      /^wrote \d+ rows to .*train\.jsonl and \d+ rows to .*test\.jsonl \(30% sample of 1000 valid rows, seed 42\)\n$/,
    );
    for (const name of ['train.jsonl', 'test.jsonl']) {
      const first = await readFile(join(dir, 'a', name), 'utf8');
      expect(await readFile(join(dir, 'b', name), 'utf8')).toBe(first);
      expect(first.length).toBeGreaterThan(0);
      expect(first.endsWith('\n')).toBe(true);
    }
    const train = (await readFile(join(dir, 'a', 'train.jsonl'), 'utf8')).trim().split('\n').length;
    const test = (await readFile(join(dir, 'a', 'test.jsonl'), 'utf8')).trim().split('\n').length;
    expect(train + test).toBeGreaterThan(250);
    expect(train + test).toBeLessThan(350);
    expect(await readdir(join(dir, 'a'))).toEqual(['test.jsonl', 'train.jsonl']);
  });

  it('changes the sample with the seed', async () => {
    const input = join(dir, 'seeded.jsonl');
    await writeFile(input, jsonl(ultrachatRows(200)));
    await run(['--input', input, '--out', join(dir, 's1'), '--seed', '1']);
    await run(['--input', input, '--out', join(dir, 's2'), '--seed', '2']);
    expect(await readFile(join(dir, 's1', 'train.jsonl'), 'utf8')).not.toBe(
      await readFile(join(dir, 's2', 'train.jsonl'), 'utf8'),
    );
  });

  it('reads Parquet and a separate test input, with --json', async () => {
    const train = join(dir, 'train.parquet');
    const test = join(dir, 'test.parquet');
    await writeUltrachatParquet(train, ultrachatRows(40));
    await writeUltrachatParquet(test, ultrachatRows(10));
    const out = join(dir, 'pq');
    const { code, stdout } = await run([
      '--input',
      train,
      '--test-input',
      test,
      '--out',
      out,
      '--sample-percent',
      '100',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      valid: true,
      train: { path: join(out, 'train.jsonl'), rows: 40 },
      test: { path: join(out, 'test.jsonl'), rows: 10 },
      report: { valid: true, format: 'parquet', rows: 40 },
      testReport: { valid: true, rows: 10 },
    });
  });

  it('exits 1 on invalid input and leaves no output file behind', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, jsonl([...ultrachatRows(20), { messages: [{ role: 'bot', content: 'x' }] }]));
    const out = join(dir, 'bad-out');
    const { code, stdout } = await run(['--input', input, '--out', out, '--sample-percent', '100']);
    expect(code).toBe(1);
    expect(stdout).toContain('nothing written: the input is not valid');
    expect(stdout).toContain("line 21: message 1 has role 'bot'; expected system, user or assistant");
    expect(await readdir(out)).toEqual([]);
  });

  it('exits 2 for a missing input', async () => {
    const missing = join(dir, 'missing.jsonl');
    expect(await run(['--input', missing, '--out', join(dir, 'x')])).toEqual({
      code: 2,
      stdout: '',
      stderr: `autopilot: cannot read '${missing}': no such file\n`,
    });
  });

  it.each([
    [['--out', 'o'], '--input is required'],
    [['--input', 'i.jsonl'], '--out is required'],
    [
      ['--input', 'i', '--out', 'o', '--sample-percent', '0'],
      "--sample-percent must be a number above 0 and at most 100, got '0'",
    ],
    [
      ['--input', 'i', '--out', 'o', '--test-percent', '100'],
      "--test-percent must be a number from 0 to below 100, got '100'",
    ],
    [['--input', 'i', '--out', 'o', '--seed', '-1'], "Option '--seed' argument is ambiguous"],
  ])('exits 2 for usage errors (%j)', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(message);
  });
  it('shows progress on a terminal while it reads a large input, and clears it', async () => {
    const input = join(dir, 'large.jsonl');
    const row = {
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a'.repeat(1 << 20) },
      ],
    };
    await writeFile(input, jsonl(Array.from({ length: 34 }, () => row))); // 34 MB: past the 32 MB threshold
    const { io, out } = captureIo('', { stderrIsTTY: true });

    const code = await main(['prepare', '--input', input, '--out', join(dir, 'large-out')], io);

    expect(code).toBe(0);
    // The first 256 KiB read is shown at once; later figures depend on the clock.
    expect(out.stderr.startsWith(`\r${input}: 262.1 kB read (0%)   `)).toBe(true);
    expect(out.stderr.endsWith('\r\x1b[K')).toBe(true);
  });
});
