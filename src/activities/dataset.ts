// validate and prepare: the dataset read from the training container, checked, then split into
// the run's train.jsonl and test.jsonl. Nothing is visible under runs/<id>/ but the report unless
// the dataset is valid.
import { fail, ok } from '../domain/errors.js';
import { unquoteEtag } from '../domain/runId.js';
import { DomainError } from '../domain/errors.js';
import type { ActivityImplementations } from '../orchestration/contract.js';
import { expected, runBlobPath, type ActivityDeps } from './shared.js';

/** Findings copied into the run view's error details (the full list is in report.json). */
const MAX_ERRORS_IN_VIEW = 10;
/** The app trains on every valid row; 5% held out unless a test file came with the dataset. */
const PREPARE = { samplePercent: 100, testPercent: 5, seed: 42 } as const;

export function createDatasetActivities({
  ports,
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
    /** Streams the dataset once, writes runs/<id>/report.json; a rejected dataset is DATASET.INVALID. */
    validate: ({ runId, dataset }) =>
      expected(async () => {
        const input = await openPinned(dataset.path, dataset.etag);
        const report = await datasets.validate(input);
        const reportPath = runBlobPath(runId, 'report.json');
        await blobs.writeText(reportPath, JSON.stringify(report, null, 2), 'application/json');
        if (!report.valid) {
          return fail({
            code: 'DATASET.INVALID',
            message: `dataset ${dataset.path} was rejected: ${report.rows - report.validRows} of ${report.rows} rows invalid (full report: ${reportPath})`,
            details: report.errors.slice(0, MAX_ERRORS_IN_VIEW),
          });
        }
        return ok({
          format: report.format,
          rows: report.rows,
          validRows: report.validRows,
          warnings: report.warnings.length,
          reportPath,
        });
      }),

    /** Normalizes and splits into runs/<id>/train.jsonl and test.jsonl (nothing visible unless valid). */
    prepare: ({ runId, dataset, testPath }) =>
      expected(async () => {
        const train = await openPinned(dataset.path, dataset.etag);
        const test = testPath === undefined ? undefined : await blobs.openDataset(testPath);
        const trainPath = runBlobPath(runId, 'train.jsonl');
        const heldOutPath = runBlobPath(runId, 'test.jsonl');
        const result = await datasets.prepare({ train, ...(test === undefined ? {} : { test }) }, PREPARE, {
          train: blobs.openWriter(trainPath, 'application/jsonl'),
          test: blobs.openWriter(heldOutPath, 'application/jsonl'),
        });
        const rejected = [result.report, result.testReport].find((r) => r !== undefined && !r.valid);
        if (rejected !== undefined) {
          return fail({
            code: 'DATASET.INVALID',
            message: `${rejected === result.report ? dataset.path : testPath} was rejected while preparing`,
            details: rejected.errors.slice(0, MAX_ERRORS_IN_VIEW),
          });
        }
        if (result.testRows === 0) {
          return fail({
            code: 'DATASET.NO_TEST_CONVERSATION',
            message: `no held-out conversation: ${dataset.path} has too few rows for a ${PREPARE.testPercent}% test split; add a test.jsonl beside it`,
          });
        }
        return ok({
          trainPath,
          testPath: heldOutPath,
          trainRows: result.trainRows,
          testRows: result.testRows,
        });
      }),
  };
}
