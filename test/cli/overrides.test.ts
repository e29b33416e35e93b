import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { readOverridesFile, reportProblem } from '../../src/cli/overrides.js';
import { captureIo } from './io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-overrides-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const path = join(dir, 'finetune.json');
  writeFileSync(path, text);
  return path;
}

describe('readOverridesFile', () => {
  it('keeps the bytes and the overrides as parsed (not normalized)', async () => {
    const path = file('{"learning_rate": 0.0002}');
    expect(await readOverridesFile(path)).toEqual({
      bytes: Buffer.from('{"learning_rate": 0.0002}'),
      overrides: { learning_rate: 0.0002 },
    });
  });

  it('counts null as no overrides, as the app does', async () => {
    const path = file('null');
    expect(await readOverridesFile(path)).toEqual({ bytes: Buffer.from('null'), overrides: {} });
  });

  it('is FINETUNE.OVERRIDES_NOT_JSON naming the file when it is not JSON', async () => {
    const path = file('{');
    const result = await readOverridesFile(path);
    expect(result).toEqual({
      problem: {
        code: 'FINETUNE.OVERRIDES_NOT_JSON',
        message: `${path}: not valid JSON (Expected property name or '}' in JSON at position 1 (line 1 column 2))`,
      },
    });
  });

  it("is the app's problem with the overrides, naming the file", async () => {
    const path = file('{"num_train_epochs": "many"}');
    const result = await readOverridesFile(path);
    expect('problem' in result && result.problem.code).toBe('FINETUNE.INVALID_OVERRIDES');
    expect(
      'problem' in result &&
        result.problem.message.startsWith(`${path}: fine-tune overrides have 1 problem: `),
    ).toBe(true);
  });

  it('is a usage error when the file is missing', async () => {
    const path = join(dir, 'missing.json');
    await expect(readOverridesFile(path)).rejects.toThrow(new UsageError(`${path}: no such file`));
  });
});

describe('reportProblem', () => {
  it('prints {error} on stdout with --json and exits 1', () => {
    const { io, out } = captureIo();
    const problem = { code: 'FINETUNE.OVERRIDES_NOT_JSON' as const, message: 'x: not valid JSON' };
    expect(reportProblem(io, 'autopilot upload', true, problem)).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({ error: problem });
  });

  it('prints the code and message on stderr otherwise', () => {
    const { io, out } = captureIo();
    reportProblem(io, 'autopilot upload', false, {
      code: 'FINETUNE.OVERRIDES_NOT_JSON',
      message: 'x: not valid JSON',
    });
    expect(out.stderr).toBe('autopilot upload: FINETUNE.OVERRIDES_NOT_JSON: x: not valid JSON\n');
  });
});
