// validate and prepare: the dataset is read ONCE. validate streams the blob (and the test file
// beside it, if any), checks every row and, in the same pass, samples, splits and stages the run's
// train.jsonl and test.jsonl as uncommitted blocks, committed only when every input is valid: an
// invalid dataset leaves nothing under runs/<id>/ but its report. prepare then turns what the pass
// wrote into the step's outcome (an invalid test file, no held-out conversation) without reading.
import type { DatasetProgress } from '../domain/dataset/types.js';
import { datasetProgressPath, type DatasetProgressRecord } from '../domain/datasetProgress.js';
import { DomainError, fail, ok } from '../domain/errors.js';
import type { BlobStore } from '../domain/ports.js';
import { unquoteEtag } from '../domain/runId.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, runBlobPath, type ActivityDeps } from './shared.js';

/** Findings copied into the run view's error details (the full list is in report.json). */
const MAX_ERRORS_IN_VIEW = 10;
/** The app trains on every valid row; 5% held out unless a test file came with the dataset. */
const PREPARE = { samplePercent: 100, testPercent: 5, seed: 42 } as const;
/** At most one progress.json write per interval, and none for a pass that ends sooner. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * Writes the pass's progress to `path` at most once per interval, the first an interval after it
 * was made; one write at a time (a slow write skips updates rather than queueing them). Progress
 * is a convenience: a failed write is dropped, never the pass's failure.
 */
function progressBlob(
  blobs: BlobStore,
  path: string,
  totalBytes: number,
  intervalInMs: number,
): { update: (progress: DatasetProgress) => void; settle: () => Promise<void> } {
  let last = Date.now();
  let writing: Promise<void> | undefined;
  return {
    update({ rows, bytes }) {
      const now = Date.now();
      if (now - last < intervalInMs || writing !== undefined) return;
      last = now;
      const record: DatasetProgressRecord = {
        step: 'validate',
        rows,
        bytes,
        totalBytes,
        at: new Date(now).toISOString(),
      };
      writing = blobs
        .writeText(path, JSON.stringify(record), 'application/json')
        .catch(() => undefined)
        .finally(() => (writing = undefined));
    },
    settle: async () => {
      await writing;
    },
  };
}

export function createDatasetActivities({
  ports,
  datasetProgressIntervalInMs = PROGRESS_INTERVAL_MS,
}: ActivityDeps): Pick<ActivityImplementations, 'validate' | 'prepare'> {
  const { blobs, datasets } = ports;

  /** The dataset blob, refused when it is no longer the version the run started for. */
  async function openPinned(path: string, etag: string) {
    const input = await blobs.openDataset(path);
    if (input.info.etag !== unquoteEtag(etag)) {
      throw new DomainError(
        'DATASET.CHANGED',
        `dataset ${path} changed since the run started (etag ${unquoteEtag(etag)}, now ${input.info.etag}); the new version starts its own run`,
        { path },
      );
    }
    return input;
  }

  return {
    /** One pass: report.json always; train/test committed only if valid; a rejected dataset is DATASET.INVALID. */
    validate: ({ runId, dataset, testPath }) =>
      expected(async () => {
        const train = await openPinned(dataset.path, dataset.etag);
        const test = testPath === undefined ? undefined : await blobs.openDataset(testPath);
        const trainPath = runBlobPath(runId, 'train.jsonl');
        const heldOutPath = runBlobPath(runId, 'test.jsonl');
        const progress = progressBlob(
          blobs,
          datasetProgressPath(runId),
          train.info.contentLength + (test?.info.contentLength ?? 0),
          datasetProgressIntervalInMs,
        );
        let result;
        try {
          result = await datasets.validateAndPrepare(
            { train, ...(test === undefined ? {} : { test }) },
            { ...PREPARE, onProgress: progress.update, progressIntervalInMs: datasetProgressIntervalInMs },
            {
              train: blobs.openStagedWriter(trainPath, 'application/jsonl'),
              test: blobs.openStagedWriter(heldOutPath, 'application/jsonl'),
            },
          );
        } finally {
          await progress.settle();
        }
        const { report } = result;
        const reportPath = runBlobPath(runId, 'report.json');
        await blobs.writeText(reportPath, JSON.stringify(report, null, 2), 'application/json');
        if (!report.valid) {
          return fail({
            code: 'DATASET.INVALID',
            message: `dataset ${dataset.path} was rejected: ${report.rows - report.validRows} of ${report.rows} rows invalid (full report: ${reportPath})`,
            details: report.errors.slice(0, MAX_ERRORS_IN_VIEW),
          });
        }
        const testRejected =
          result.testReport !== undefined && !result.testReport.valid
            ? result.testReport.errors.slice(0, MAX_ERRORS_IN_VIEW)
            : undefined;
        return ok({
          format: report.format,
          rows: report.rows,
          validRows: report.validRows,
          warnings: report.warnings.length,
          reportPath,
          split: {
            trainPath,
            testPath: heldOutPath,
            trainRows: result.trainRows,
            testRows: result.testRows,
            ...(testRejected === undefined ? {} : { testRejected }),
          },
        });
      }),

    /** What validate's pass wrote, as the prepare step's outcome (nothing is read again). */
    prepare: ({ dataset, testPath, split }) =>
      Promise.resolve(
        split.testRejected !== undefined
          ? fail({
              code: 'DATASET.INVALID',
              message: `${testPath ?? 'the test file'} was rejected while preparing`,
              details: split.testRejected,
            })
          : split.testRows === 0
            ? fail({
                code: 'DATASET.NO_TEST_CONVERSATION',
                message: `no held-out conversation: ${dataset.path} has too few rows for a ${PREPARE.testPercent}% test split; add a test.jsonl beside it`,
              })
            : ok({
                trainPath: split.trainPath,
                testPath: split.testPath,
                trainRows: split.trainRows,
                testRows: split.testRows,
              }),
      ),
  };
}
