// Scores chat messages on a managed online endpoint the way the notebook's sample request does:
// `{"input_data": {"input_string": [<conversation>], "parameters": {...}}, "params": {}}`, a list of
// conversations holding the one held-out conversation (docs/azure-facts.md).
// The endpoint key goes only into the Authorization header: never into a message or log line.
import type { ScoringClient } from '../domain/ports.js';
import type { ChatMessage } from '../domain/resources.js';
import { DomainError } from '../domain/errors.js';
import type { JsonHttpClient } from './http.js';

/** The notebook's sampling parameters for the smoke test. */
export const SCORING_PARAMETERS = Object.freeze({
  temperature: 0.6,
  top_p: 0.9,
  do_sample: true,
  max_new_tokens: 200,
});

/** A first answer from a cold deployment can take the whole request timeout (PT1M30S). */
const SCORING_TIMEOUT_MS = 120_000;

export class EndpointScoringClient implements ScoringClient {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly timeoutInMs = SCORING_TIMEOUT_MS,
  ) {}

  async score(
    scoringUri: string,
    key: string,
    messages: readonly ChatMessage[],
    deployment?: string,
  ): Promise<string> {
    const { body } = await this.http.send({
      method: 'POST',
      url: scoringUri,
      headers: {
        authorization: `Bearer ${key}`,
        ...(deployment === undefined ? {} : { 'azureml-model-deployment': deployment }),
      },
      body: {
        input_data: {
          input_string: [messages.map((m) => ({ role: m.role, content: m.content }))],
          parameters: SCORING_PARAMETERS,
        },
        params: {},
      },
      operation: `POST ${new URL(scoringUri).pathname}`,
      timeoutInMs: this.timeoutInMs,
    });
    const answer = answerText(body);
    if (answer === undefined) {
      throw new DomainError(
        'SCORING.UNEXPECTED_ANSWER',
        `the endpoint answered a shape with no text: ${preview(body)}`,
      );
    }
    return answer;
  }
}

/** Accepts the shapes AML chat deployments answer: `{"output": "..."}`, `"..."`, `[{"0": "..."}]`, `["..."]`. */
export function answerText(body: unknown): string | undefined {
  if (typeof body === 'string') {
    // A JSON-encoded string inside a string happens when the scoring script json.dumps its result.
    if (body.startsWith('"') || body.startsWith('{') || body.startsWith('[')) {
      try {
        const inner: unknown = JSON.parse(body);
        if (inner !== body) return answerText(inner);
      } catch {
        // plain text that happens to start with a bracket
      }
    }
    return body;
  }
  if (Array.isArray(body)) return body.length > 0 ? answerText(body[0]) : undefined;
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    for (const key of ['output', '0', 'generated_text', 'content']) {
      if (key in record) return answerText(record[key]);
    }
  }
  return undefined;
}

function preview(body: unknown): string {
  const text = JSON.stringify(body) ?? String(body);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
