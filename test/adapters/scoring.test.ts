import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JsonHttpClient, transportOptions } from '../../src/adapters/http.js';
import { answerText, EndpointScoringClient } from '../../src/adapters/scoring.js';
import { DomainError } from '../../src/domain/errors.js';
import { RecordingServer } from '../support/recordingServer.js';

const KEY = 'endpoint-key-123';
const MESSAGES = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is LoRA?' },
];

let server: RecordingServer;
let client: EndpointScoringClient;

beforeAll(async () => {
  server = await RecordingServer.start();
  client = new EndpointScoringClient(
    new JsonHttpClient(
      'SCORING',
      transportOptions(server.caPath, { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 5 }),
    ),
  );
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('EndpointScoringClient', () => {
  it('posts the notebook request (a list of one conversation, params {}) with the key as bearer and reads {"output"}', async () => {
    server.on('POST', '/score/ep-1', { status: 200, body: { output: 'Low-rank adapters.' } });

    const answer = await client.score(`${server.baseUrl}/score/ep-1`, KEY, MESSAGES);

    expect(answer).toBe('Low-rank adapters.');
    const [post] = server.recorded('POST');
    expect(post?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(post?.headers['content-type']).toBe('application/json');
    // the seed notebook's sample_score.json: input_string is a list of conversations
    expect(JSON.parse(post?.body ?? '')).toEqual({
      input_data: {
        input_string: [MESSAGES],
        parameters: { temperature: 0.6, top_p: 0.9, do_sample: true, max_new_tokens: 200 },
      },
      params: {},
    });
  });

  it('reads the other answer shapes the notebook shows', async () => {
    server.sequence('POST', '/score/ep-2', [
      { status: 200, body: [{ '0': 'from a list' }] },
      { status: 200, body: JSON.stringify('a bare string') },
      { status: 200, body: JSON.stringify(JSON.stringify({ output: 'double encoded' })) },
    ]);
    const uri = `${server.baseUrl}/score/ep-2`;

    expect(await client.score(uri, KEY, MESSAGES)).toBe('from a list');
    expect(await client.score(uri, KEY, MESSAGES)).toBe('a bare string');
    expect(await client.score(uri, KEY, MESSAGES)).toBe('double encoded');
  });

  it('401 is SCORING.UNAUTHORIZED and the key appears nowhere in the error', async () => {
    server.on('POST', '/score/ep-3', { status: 401, body: { message: 'invalid key' } });

    const error = await client.score(`${server.baseUrl}/score/ep-3`, KEY, MESSAGES).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'SCORING.UNAUTHORIZED',
      message: 'POST /score/ep-3: HTTP401: invalid key',
    });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(KEY);
  });

  it('an answer with no text is SCORING.UNEXPECTED_ANSWER', async () => {
    server.on('POST', '/score/ep-4', { status: 200, body: { result: 42 } });

    await expect(client.score(`${server.baseUrl}/score/ep-4`, KEY, MESSAGES)).rejects.toMatchObject({
      code: 'SCORING.UNEXPECTED_ANSWER',
      message: 'the endpoint answered a shape with no text: {"result":42}',
    });
  });

  it('answerText takes the first of a list of strings', () => {
    expect(answerText(['first', 'second'])).toBe('first');
    expect(answerText({ output: ['nested'] })).toBe('nested');
    expect(answerText(null)).toBeUndefined();
  });
});
