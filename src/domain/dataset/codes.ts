// Rule codes, declared once. Errors reject the file; warnings are reported and accepted.

export const DatasetError = {
  emptyFile: 'DATASET.EMPTY_FILE',
  compressed: 'DATASET.COMPRESSED',
  binary: 'DATASET.BINARY',
  wrongFormat: 'DATASET.WRONG_FORMAT',
  invalidParquet: 'DATASET.INVALID_PARQUET',
  notUtf8: 'DATASET.NOT_UTF8',
  lineTooLong: 'DATASET.LINE_TOO_LONG',
  invalidJson: 'DATASET.INVALID_JSON',
  notAnObject: 'DATASET.NOT_AN_OBJECT',
  missingMessages: 'DATASET.MISSING_MESSAGES',
  messagesNotArray: 'DATASET.MESSAGES_NOT_ARRAY',
  emptyMessages: 'DATASET.EMPTY_MESSAGES',
  messageNotObject: 'DATASET.MESSAGE_NOT_OBJECT',
  invalidRole: 'DATASET.INVALID_ROLE',
  invalidContent: 'DATASET.INVALID_CONTENT',
  blankContent: 'DATASET.BLANK_CONTENT',
  noUserMessage: 'DATASET.NO_USER_MESSAGE',
  noAssistantMessage: 'DATASET.NO_ASSISTANT_MESSAGE',
} as const;

export const DatasetWarning = {
  rolesNotAlternating: 'DATASET.ROLES_NOT_ALTERNATING',
  endsWithUser: 'DATASET.ENDS_WITH_USER',
  duplicatePromptId: 'DATASET.DUPLICATE_PROMPT_ID',
  promptMismatch: 'DATASET.PROMPT_MISMATCH',
  tooManyTokens: 'DATASET.TOO_MANY_TOKENS',
  fieldNotString: 'DATASET.FIELD_NOT_STRING',
} as const;

export type DatasetErrorCode = (typeof DatasetError)[keyof typeof DatasetError];
export type DatasetWarningCode = (typeof DatasetWarning)[keyof typeof DatasetWarning];

export const ROLES = ['system', 'user', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

/** Characters per token used for the estimate (a common rule of thumb for English text). */
export const CHARS_PER_TOKEN = 4;
export const DEFAULT_MAX_ERRORS = 100;
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
