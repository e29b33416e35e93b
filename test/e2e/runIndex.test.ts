// The run index on the local stack (slow; run on its own): runs started by uploads end in the
// index with their final status, and GET /api/runs lists and filters them from it, through the
// host's HTTP API, the app's composition and Azurite's table service.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoDataset } from '../../dev/demoData.js';
import type { RunSummary } from '../../src/domain/runIndex.js';
import { dumpLogsOnFailure, startE2eStack, TEARDOWN_OFF, waitForEnd, type E2eStack } from './support.js';

const RUN_TIMEOUT_MS = 120_000;
let e2e: E2eStack | undefined;
const stack = (): E2eStack => {
  if (e2e === undefined) throw new Error('the stack did not start');
  return e2e;
};

beforeAll(async () => {
  e2e = await startE2eStack({ settings: TEARDOWN_OFF });
}, 120_000);
afterAll(async () => {
  await e2e?.close();
});
dumpLogsOnFailure(() => e2e);

const runsOf = (body: unknown): RunSummary[] => (body as { runs: RunSummary[] }).runs;

describe('the run index on the local stack', () => {
  test(
    'a finished run is listed with its final status, end and model; a failed one under status=Failed',
    async () => {
      const s = stack();
      const good = await s.upload('incoming/index-good/train.jsonl', demoDataset(60));
      const bad = await s.upload('incoming/index-bad/train.jsonl', '{"messages": [{"role": "bot"}]}\n');
      const [goodView, badView] = await Promise.all([
        waitForEnd(s, good.runId, RUN_TIMEOUT_MS),
        waitForEnd(s, bad.runId, RUN_TIMEOUT_MS),
      ]);
      expect(goodView.status, JSON.stringify(goodView.error)).toBe('Succeeded');
      expect(badView.status).toBe('Failed');

      const all = await s.api('GET', '/api/runs?top=20');
      expect(all.status, all.text).toBe(200);
      expect(
        runsOf(all.body)
          .map((r) => r.runId)
          .sort(),
      ).toEqual([good.runId, bad.runId].sort());

      const succeeded = await s.api('GET', '/api/runs?status=Succeeded&line=index-good');
      expect(runsOf(succeeded.body)).toEqual([
        {
          runId: good.runId,
          line: 'index-good',
          dataset: {
            container: s.stack.trainingContainer,
            path: 'incoming/index-good/train.jsonl',
            etag: good.etag,
          },
          status: 'Succeeded',
          step: 'smokeTest',
          startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
          // a Succeeded run ends with its smoke test (cleanup is skipped): the instance's view says when
          endedAt: goodView.steps.find((step) => step.id === 'smokeTest')?.endedAt,
          model: `${goodView.model?.name}:${goodView.model?.version}`,
        },
      ]);
      const failed = await s.api('GET', '/api/runs?status=Failed');
      expect(runsOf(failed.body).map((r) => [r.runId, r.status, r.step])).toEqual([
        [bad.runId, 'Failed', 'validate'],
      ]);
      const running = await s.api('GET', '/api/runs?status=Running');
      expect(runsOf(running.body)).toEqual([]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
