import { describe, expect, it } from 'vitest';
import { ReportBuilder } from '../../../src/domain/dataset/report.js';
import type { Finding } from '../../../src/domain/dataset/types.js';
import { GOOD, chat } from './validateText.js';

function check(row: unknown, options = {}): { valid: boolean; errors: Finding[]; warnings: Finding[] } {
  const builder = new ReportBuilder('jsonl', options);
  const valid = builder.checkRow(7, row);
  const report = builder.finish();
  return { valid, errors: report.errors, warnings: report.warnings };
}

const only = (code: string, message: string): Finding[] => [{ line: 7, code, message }];

describe('row errors', () => {
  it('accepts a user/assistant conversation', () => {
    expect(check(GOOD)).toEqual({ valid: true, errors: [], warnings: [] });
  });

  it.each([
    [
      [1, 2],
      'expected a JSON object, got an array (a JSON array file must be converted to one object per line)',
    ],
    ['text', 'expected a JSON object, got a string'],
    [null, 'expected a JSON object, got null'],
    [3, 'expected a JSON object, got a number'],
  ])('rejects %j as NOT_AN_OBJECT', (row, message) => {
    expect(check(row).errors).toEqual(only('DATASET.NOT_AN_OBJECT', `line 7: ${message}`));
  });

  it('rejects a row without messages', () => {
    expect(check({ prompt: 'x' }).errors).toEqual(
      only(
        'DATASET.MISSING_MESSAGES',
        "line 7: no 'messages' field; expected an array of {role, content} messages",
      ),
    );
  });

  it.each([
    ['hi', 'a string'],
    [null, 'null'],
    [{}, 'an object'],
  ])('rejects messages %j as MESSAGES_NOT_ARRAY', (messages, got) => {
    expect(check({ messages }).errors).toEqual(
      only(
        'DATASET.MESSAGES_NOT_ARRAY',
        `line 7: 'messages' is ${got}; expected an array of {role, content} messages`,
      ),
    );
  });

  it('rejects empty messages', () => {
    expect(check({ messages: [] }).errors).toEqual(
      only(
        'DATASET.EMPTY_MESSAGES',
        "line 7: 'messages' is empty; expected at least a user and an assistant message",
      ),
    );
  });

  it('rejects a message that is not an object', () => {
    expect(check({ messages: [{ role: 'user', content: 'a' }, 'b'] }).errors).toEqual(
      only(
        'DATASET.MESSAGE_NOT_OBJECT',
        'line 7: message 2 is a string; expected an object with role and content',
      ),
    );
  });

  it.each([
    ['bot', "has role 'bot'"],
    ['User', "has role 'User'"],
    [5, 'has role 5'],
    [undefined, 'has no role'],
  ])('rejects role %j as INVALID_ROLE', (role, got) => {
    const row = {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role, content: 'c' },
      ],
    };
    expect(check(row).errors).toEqual(
      only('DATASET.INVALID_ROLE', `line 7: message 3 ${got}; expected system, user or assistant`),
    );
  });

  it.each([
    [5, 'content is a number'],
    [null, 'content is null'],
    [['a'], 'content is an array'],
    [undefined, 'has no content'],
  ])('rejects content %j as INVALID_CONTENT', (content, got) => {
    const row = {
      messages: [
        { role: 'user', content },
        { role: 'assistant', content: 'b' },
      ],
    };
    expect(check(row).errors).toEqual(
      only('DATASET.INVALID_CONTENT', `line 7: message 1 ${got}; expected a string`),
    );
  });

  it.each(['', '   ', '\n\t '])('rejects blank content %j', (content) => {
    const row = chat(['user', 'a'], ['assistant', content]);
    expect(check(row).errors).toEqual(
      only('DATASET.BLANK_CONTENT', 'line 7: message 2 content is blank; remove the message or give it text'),
    );
  });

  it('rejects a conversation without a user message', () => {
    expect(check(chat(['system', 's'], ['assistant', 'a'])).errors).toEqual(
      only(
        'DATASET.NO_USER_MESSAGE',
        'line 7: no user message; a conversation needs at least one user and one assistant message',
      ),
    );
  });

  it('rejects a conversation without an assistant message', () => {
    expect(check(chat(['user', 'q'])).errors).toEqual(
      only(
        'DATASET.NO_ASSISTANT_MESSAGE',
        'line 7: no assistant message; a conversation needs at least one user and one assistant message',
      ),
    );
  });

  it('reports every broken message of a row but no conversation-level noise', () => {
    const row = {
      messages: [
        { role: 'bot', content: 'a' },
        { role: 'assistant', content: ' ' },
      ],
    };
    expect(check(row).errors.map((f) => f.code)).toEqual(['DATASET.INVALID_ROLE', 'DATASET.BLANK_CONTENT']);
  });

  it('names rows, not lines, for Parquet', () => {
    const builder = new ReportBuilder('parquet');
    builder.checkRow(3, { messages: [] });
    expect(builder.finish().errors[0]?.message).toBe(
      "row 3: 'messages' is empty; expected at least a user and an assistant message",
    );
  });

  it('truncates long user values quoted in messages', () => {
    const row = chat(['user', 'a'], ['x'.repeat(100), 'b']);
    expect(check(row).errors[0]?.message).toBe(
      `line 7: message 2 has role '${'x'.repeat(40)}…'; expected system, user or assistant`,
    );
  });
});

describe('row warnings', () => {
  it('accepts a leading system message', () => {
    expect(check(chat(['system', 's'], ['user', 'q'], ['assistant', 'a'])).warnings).toEqual([]);
  });

  it.each([
    [chat(['user', 'q'], ['user', 'q2'], ['assistant', 'a']), 2, 'user', 'assistant'],
    [chat(['assistant', 'a'], ['user', 'q'], ['assistant', 'a']), 1, 'assistant', 'user'],
    [chat(['user', 'q'], ['assistant', 'a'], ['system', 's'], ['assistant', 'a']), 3, 'system', 'user'],
  ])('warns about roles that do not alternate (%#)', (row, n, got, expected) => {
    const { valid, warnings } = check(row);
    expect(valid).toBe(true);
    expect(warnings).toContainEqual({
      line: 7,
      code: 'DATASET.ROLES_NOT_ALTERNATING',
      message: `line 7: message ${n} has role '${got}' where '${expected}' was expected; roles should alternate user/assistant after an optional leading system message`,
    });
  });

  it('warns about a conversation ending on a user turn', () => {
    expect(check(chat(['user', 'q'], ['assistant', 'a'], ['user', 'q2'])).warnings).toEqual(
      only(
        'DATASET.ENDS_WITH_USER',
        "line 7: the conversation ends with a user message; the last turn should be the assistant's answer",
      ),
    );
  });

  it('warns when prompt differs from the first user message, ignoring surrounding space', () => {
    expect(check({ prompt: ' Hi\n', ...GOOD }).warnings).toEqual([]);
    expect(check({ prompt: 'Other', ...GOOD }).warnings).toEqual(
      only(
        'DATASET.PROMPT_MISMATCH',
        "line 7: 'prompt' differs from the first user message; training reads 'messages', so check which one is right",
      ),
    );
  });

  it('warns about a duplicate prompt_id on its second occurrence only', () => {
    const builder = new ReportBuilder('jsonl');
    builder.checkRow(1, { prompt_id: 'abc', ...GOOD });
    builder.checkRow(2, { prompt_id: 'abd', ...GOOD });
    builder.checkRow(3, { prompt_id: 'abc', ...GOOD });
    expect(builder.finish().warnings).toEqual([
      {
        line: 3,
        code: 'DATASET.DUPLICATE_PROMPT_ID',
        message: "line 3: prompt_id 'abc' already appeared on an earlier line",
      },
    ]);
  });

  it('warns when estimated tokens exceed --max-seq-length, and only then', () => {
    const row = chat(['user', 'x'.repeat(10)], ['assistant', 'y'.repeat(31)]); // 41 chars -> 11 tokens
    expect(check(row, { maxSeqLength: 11 }).warnings).toEqual([]);
    expect(check(row).warnings).toEqual([]);
    expect(check(row, { maxSeqLength: 10 }).warnings).toEqual(
      only(
        'DATASET.TOO_MANY_TOKENS',
        'line 7: about 11 tokens (41 characters / 4) exceed --max-seq-length 10; training may truncate it',
      ),
    );
  });

  it('warns about prompt or prompt_id that are not strings', () => {
    expect(check({ prompt_id: 12, ...GOOD }).warnings).toEqual(
      only('DATASET.FIELD_NOT_STRING', "line 7: 'prompt_id' is a number; expected a string"),
    );
  });

  it('adds no warnings to an invalid row', () => {
    expect(
      check({ prompt: 'other', prompt_id: 5, messages: [{ role: 'user', content: 'q' }] }).warnings,
    ).toEqual([]);
  });
});

describe('the report', () => {
  it('counts every finding but keeps at most maxErrors of each kind', () => {
    const builder = new ReportBuilder('jsonl', { maxErrors: 2 });
    for (let line = 1; line <= 5; line++) builder.checkRow(line, { messages: [] });
    for (let line = 6; line <= 8; line++)
      builder.checkRow(line, chat(['user', 'q'], ['assistant', 'a'], ['user', 'q']));
    const report = builder.finish();
    expect(report.errors.map((f) => f.line)).toEqual([1, 2]);
    expect(report.warnings.map((f) => f.line)).toEqual([6, 7]);
    expect(report.counts).toEqual({ 'DATASET.EMPTY_MESSAGES': 5, 'DATASET.ENDS_WITH_USER': 3 });
    expect(report).toMatchObject({ valid: false, rows: 8, validRows: 3 });
  });

  it('is invalid even when maxErrors is 0', () => {
    const builder = new ReportBuilder('jsonl', { maxErrors: 0 });
    builder.checkRow(1, { messages: [] });
    expect(builder.finish()).toMatchObject({
      valid: false,
      errors: [],
      counts: { 'DATASET.EMPTY_MESSAGES': 1 },
    });
  });

  it('reports an empty dataset', () => {
    expect(new ReportBuilder('parquet').finish()).toMatchObject({
      valid: false,
      rows: 0,
      errors: [
        {
          line: 0,
          code: 'DATASET.EMPTY_FILE',
          message: 'the file is empty; expected one conversation per row',
        },
      ],
    });
  });

  it('computes stats over valid rows', () => {
    const builder = new ReportBuilder('jsonl');
    builder.checkRow(1, chat(['system', 'ssss'], ['user', 'uuuu'], ['assistant', 'aaaa'])); // 12 chars, 3 tokens
    builder.checkRow(2, chat(['user', 'u'], ['assistant', 'a'])); // 2 chars, 1 token
    builder.checkRow(3, { messages: [] });
    expect(builder.finish().stats).toEqual({
      bytes: 0,
      blankLines: 0,
      turns: { min: 2, p50: 2, p95: 3, max: 3, mean: 2.5 },
      characters: { min: 2, p50: 2, p95: 12, max: 12, mean: 7 },
      estimatedTokens: { min: 1, p50: 1, p95: 3, max: 3, mean: 2 },
      roles: { system: 1, user: 2, assistant: 2 },
    });
  });
});
