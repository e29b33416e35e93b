// Every error code the app can produce, declared once with the HTTP status it maps to and who can
// fix it. DomainProblem.code and DomainError take an ErrorCode, so a code that is not in this table
// does not compile; test/domain/errorCodes.test.ts walks the table and scans src/ for stray
// literals. Statuses apply when a code reaches the HTTP API (src/http/errors.ts); inside a run the
// code is shown in the run view's `error` whatever its status.

/** Who can make the error go away: the caller (fix the input), the operator (fix the workspace or
 * the settings), or nobody at once (a service fault: retry later). */
export type FixedBy = 'caller' | 'operator' | 'retry';

export interface ErrorCodeInfo {
  readonly status: number;
  readonly fixedBy: FixedBy;
}

const caller = (status: number): ErrorCodeInfo => ({ status, fixedBy: 'caller' });
const operator = (status: number): ErrorCodeInfo => ({ status, fixedBy: 'operator' });
const retry = (status: number): ErrorCodeInfo => ({ status, fixedBy: 'retry' });

/** The services the adapters talk to: the prefix of the codes built from their answers. */
export const SERVICE_NAMES = [
  'AZUREML',
  'REGISTRY',
  'MLFLOW',
  'MONITOR',
  'SCORING',
  'STORAGE',
  // The lifecycle events topic (Event Grid): src/adapters/lifecycleEvents.ts.
  'EVENTS',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * What a service's answer becomes (src/adapters/errors.ts): a 4xx keeps its meaning, a fault
 * that outlived the retries is UNAVAILABLE/THROTTLED/UNREACHABLE/TIMEOUT. None of them is the
 * API caller's fault, so the API answers them as INTERNAL (500) with a generic message.
 */
const SERVICE_OUTCOMES = {
  BAD_REQUEST: operator(500),
  UNAUTHORIZED: operator(500),
  FORBIDDEN: operator(500),
  NOT_FOUND: operator(500),
  CONFLICT: operator(500),
  PRECONDITION_FAILED: operator(500),
  UNPROCESSABLE: operator(500),
  REQUEST_REJECTED: operator(500),
  OPERATION_FAILED: operator(500),
  TLS_UNTRUSTED: operator(500),
  THROTTLED: retry(500),
  UNAVAILABLE: retry(500),
  UNREACHABLE: retry(500),
  TIMEOUT: retry(500),
} as const satisfies Record<string, ErrorCodeInfo>;
export type ServiceOutcome = keyof typeof SERVICE_OUTCOMES;

const FIXED_CODES = {
  // The HTTP request itself.
  'REQUEST.INVALID_JSON': caller(400),
  'REQUEST.INVALID_BODY': caller(400),
  'REQUEST.INVALID_QUERY': caller(400),
  'REQUEST.NOT_FOUND': caller(404),
  'REQUEST.METHOD_NOT_ALLOWED': caller(405),
  /** The body is over the API's size limit (src/http/runsApi.ts MAX_BODY_BYTES). */
  'REQUEST.TOO_LARGE': caller(413),
  /** No valid function key: answered by the Functions host (locally dev/host/httpTrigger.ts). */
  'REQUEST.UNAUTHORIZED': caller(401),
  /** A dataset path that could leave incoming/ or exceed Azure's blob name limit. */
  'REQUEST.INVALID_DATASET_PATH': caller(400),
  INTERNAL: retry(500),

  // Runs as a whole.
  'RUN.NOT_FOUND': caller(404),
  'RUN.NOT_RUNNING': caller(409),
  'RUN.TOO_MANY_RERUNS': caller(409),
  'RUN.ACTIVITY_FAILED': retry(500),
  'RUN.ORCHESTRATION_FAILED': retry(500),
  'RUN.TERMINATED': operator(500),

  // The dataset: the blob, and the run's verdict on it.
  'DATASET.NOT_FOUND': caller(404),
  'DATASET.BAD_PATH': caller(400),
  'DATASET.INVALID': caller(422),
  'DATASET.CHANGED': caller(409),
  'DATASET.NO_TEST_CONVERSATION': caller(422),
  // Findings of the dataset rules (src/domain/dataset/codes.ts): errors reject the file...
  'DATASET.EMPTY_FILE': caller(422),
  'DATASET.COMPRESSED': caller(422),
  'DATASET.BINARY': caller(422),
  'DATASET.WRONG_FORMAT': caller(422),
  'DATASET.INVALID_PARQUET': caller(422),
  'DATASET.NOT_UTF8': caller(422),
  'DATASET.LINE_TOO_LONG': caller(422),
  'DATASET.INVALID_JSON': caller(422),
  'DATASET.NOT_AN_OBJECT': caller(422),
  'DATASET.MISSING_MESSAGES': caller(422),
  'DATASET.MESSAGES_NOT_ARRAY': caller(422),
  'DATASET.EMPTY_MESSAGES': caller(422),
  'DATASET.MESSAGE_NOT_OBJECT': caller(422),
  'DATASET.INVALID_ROLE': caller(422),
  'DATASET.INVALID_CONTENT': caller(422),
  'DATASET.BLANK_CONTENT': caller(422),
  'DATASET.NO_USER_MESSAGE': caller(422),
  'DATASET.NO_ASSISTANT_MESSAGE': caller(422),
  // ...warnings are reported and accepted.
  'DATASET.ROLES_NOT_ALTERNATING': caller(422),
  'DATASET.ENDS_WITH_USER': caller(422),
  'DATASET.DUPLICATE_PROMPT_ID': caller(422),
  'DATASET.PROMPT_MISMATCH': caller(422),
  'DATASET.TOO_MANY_TOKENS': caller(422),
  'DATASET.FIELD_NOT_STRING': caller(422),

  // Fine-tune overrides (finetune.json or the HTTP body).
  'FINETUNE.INVALID_OVERRIDES': caller(400),
  'FINETUNE.OVERRIDES_NOT_JSON': caller(400),
  'FINETUNE.NOT_AN_OBJECT': caller(400),
  'FINETUNE.UNKNOWN_PARAMETER': caller(400),
  'FINETUNE.BAD_TYPE': caller(400),
  'FINETUNE.OUT_OF_RANGE': caller(400),
  'FINETUNE.OVERRIDES_TOO_LARGE': caller(400),

  // Fine-tune inputs checked against the pinned component's declaration.
  'FINETUNE.UNKNOWN_INPUT': caller(400),
  'FINETUNE.INVALID_VALUE': caller(400),
  /** A note: a notebook or model default the component does not declare was left out. */
  'FINETUNE.DEFAULT_DROPPED': operator(500),

  // The pinned pipeline component.
  'COMPONENT.NOT_FOUND': operator(500),

  // The base model's registry entry and lifecycle.
  'MODEL.BAD_TAG': operator(500),
  'MODEL.BAD_TAG_LITERAL': operator(500),
  'MODEL.NOT_FOUND': operator(500),
  'MODEL.FINETUNE_RETIRED': operator(409),
  /** Notes: the run goes on. */
  'MODEL.FINETUNE_DEPRECATED': operator(500),
  'MODEL.INFERENCE_DEPRECATED': operator(500),
  'MODEL.INFERENCE_RETIRED': operator(500),

  // The fine-tune cluster.
  'COMPUTE.NOT_FOUND': operator(409),
  'COMPUTE.FAILED': operator(409),
  'COMPUTE.NO_VM_SIZE': operator(409),
  'COMPUTE.VM_SIZE_NOT_ALLOWED': operator(409),
  'COMPUTE.VM_SIZE_UNSUPPORTED': operator(409),
  'COMPUTE.VM_SIZE_UNKNOWN': operator(409),
  'COMPUTE.NO_GPU': operator(409),
  'COMPUTE.TOO_FEW_NODES': operator(409),
  'COMPUTE.QUOTA_EXCEEDED': operator(409),
  'COMPUTE.VM_SIZE_RETIRED': operator(409),
  /** A note: a check that could not be made (no allow list, no matching quota row). */
  'COMPUTE.NOT_CHECKED': operator(500),
  'COMPUTE.QUOTA_NOT_CHECKED': operator(500),

  // The Azure ML job.
  'JOB.NOT_FOUND': operator(500),
  'JOB.FAILED': caller(422),
  'JOB.CANCELED': caller(409),
  'JOB.DEADLINE_EXCEEDED': operator(500),

  // Deployment to the managed online endpoint.
  'DEPLOY.FAILED': operator(500),
  'DEPLOY.TIMEOUT': retry(500),
  'DEPLOY.ENDPOINT_NOT_OWNED': operator(409),
  'DEPLOY.ENDPOINT_NOT_READY': retry(409),
  'DEPLOY.NO_SCORING_URI': operator(500),
  'DEPLOY.INSTANCE_TYPE_NOT_ALLOWED': operator(409),
  // Serving lines (src/domain/line.ts, src/orchestration/lineOrchestration.ts).
  /** No line by that id (never served, or deleted). */
  'LINE.NOT_FOUND': caller(404),
  /** The request conflicts with what the line is doing (e.g. park while it rolls out, wake a deleted line). */
  'LINE.CONFLICT': caller(409),
  /** The new deployment did not pass the smoke test or the comparison gate: the champion keeps serving. */
  'ROLLOUT.SMOKE_TEST_FAILED': operator(500),
  'ROLLOUT.COMPARISON_FAILED': operator(500),
  /** The new deployment's failed requests during the canary bake were over the limit. */
  'ROLLOUT.CANARY_FAILED': operator(500),
  /** The line's endpoint exists but is not this app's line endpoint (tags missing or naming another line). */
  'LINE.ENDPOINT_NOT_OWNED': operator(409),
  /** The line orchestration did not answer the run's rollout request before the deploy deadline. */
  'LINE.NO_ANSWER': retry(500),

  // Specific answers of the services, beside the generic outcomes below.
  'AZUREML.NO_MLFLOW': operator(500),
  'REGISTRY.MODEL_NOT_FOUND': operator(500),
  'REGISTRY.BAD_ANSWER': retry(500),
  'SCORING.UNEXPECTED_ANSWER': operator(500),
  'STORAGE.BLOB_CHANGED': caller(409),

  // The operator CLI (src/cli/apiClient.ts): what it reports when the API gave no answer of its
  // own. Never answered by the API; the status only says whose fault it is.
  /** No answer at all: connection refused, DNS, TLS, timeout. */
  'CLI.API_UNREACHABLE': retry(500),
  /** An answer that is not the API's JSON (a gateway's page, the host's bare 401, a proxy). */
  'CLI.UNEXPECTED_ANSWER': operator(500),
  /** `runs watch --timeout`: the run had not ended when the time was up. */
  'CLI.WATCH_TIMEOUT': retry(500),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ServiceErrorCode = `${ServiceName}.${ServiceOutcome}`;
export type ErrorCode = keyof typeof FIXED_CODES | ServiceErrorCode;

function serviceCodes(): Record<ServiceErrorCode, ErrorCodeInfo> {
  const entries = SERVICE_NAMES.flatMap((service) =>
    Object.entries(SERVICE_OUTCOMES).map(([outcome, info]) => [`${service}.${outcome}`, info] as const),
  );
  return Object.fromEntries(entries) as Record<ServiceErrorCode, ErrorCodeInfo>;
}

/** The table: every code, its HTTP status and who can fix it. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.freeze({
  ...serviceCodes(),
  ...FIXED_CODES,
});

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The code a service's answer becomes, e.g. serviceErrorCode('AZUREML', 'NOT_FOUND'). */
export const serviceErrorCode = (service: ServiceName, outcome: ServiceOutcome): ServiceErrorCode =>
  `${service}.${outcome}`;
