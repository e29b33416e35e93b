import { describe, expect, it } from 'vitest';
import {
  datasetProgressPath,
  parseDatasetProgress,
  progressDetail,
  progressStep,
  withDatasetProgress,
  type DatasetProgressRecord,
} from '../../src/domain/datasetProgress.js';
import { newRunView, runEnded, stepStarted, stepSucceeded, type RunView } from '../../src/domain/runView.js';

const dataset = { container: 'training-data', path: 'incoming/chat/train.jsonl', etag: '0x1' };
const at = '2026-01-01T00:00:10.000Z';
const progress: DatasetProgressRecord = {
  step: 'validate',
  rows: 1_234_567,
  bytes: 812_400_000,
  totalBytes: 1_330_000_000,
  at,
};
const validating = (): RunView => stepStarted(newRunView('ft-1', dataset), 'validate', at);
const detailOf = (view: RunView, id: string) => view.steps.find((s) => s.id === id)?.detail;

describe('dataset progress in the run view', () => {
  it('lives at runs/<id>/progress.json', () => {
    expect(datasetProgressPath('ft-1')).toBe('runs/ft-1/progress.json');
  });

  it('reads as rows and MB done of the total', () => {
    expect(progressDetail(progress)).toBe('1,234,567 rows, 812 MB of 1,330 MB read');
    expect(progressDetail({ ...progress, rows: 1, bytes: 0, totalBytes: 400_000 })).toBe(
      '1 row, 0 MB of 0 MB read',
    );
  });

  it('becomes the detail of the running validate step', () => {
    const view = withDatasetProgress(validating(), progress);

    expect(detailOf(view, 'validate')).toBe('1,234,567 rows, 812 MB of 1,330 MB read');
    expect(view.steps.filter((s) => s.detail !== undefined).map((s) => s.id)).toEqual(['validate']);
  });

  it('leaves a finished validate step its own detail', () => {
    const done = stepSucceeded(validating(), 'validate', at, '40 of 40 rows valid (jsonl); 0 warnings');

    expect(detailOf(withDatasetProgress(done, progress), 'validate')).toBe(
      '40 of 40 rows valid (jsonl); 0 warnings',
    );
    expect(progressStep(done)).toBeUndefined();
  });

  it('is not shown once the run has ended', () => {
    const ended = runEnded(validating(), 'Canceled', at);

    expect(withDatasetProgress(ended, progress)).toBe(ended);
    expect(progressStep(ended)).toBeUndefined();
  });

  it('is asked for only while validate runs', () => {
    expect(progressStep(validating())).toBe('validate');
    expect(progressStep(newRunView('ft-1', dataset))).toBeUndefined();
  });

  it('a blob that is not a progress record is ignored', () => {
    expect(parseDatasetProgress(undefined)).toBeUndefined();
    expect(parseDatasetProgress('{"step":"validate","rows":1')).toBeUndefined();
    expect(
      parseDatasetProgress('{"step":"validate","rows":-1,"bytes":0,"totalBytes":0,"at":"x"}'),
    ).toBeUndefined();
    expect(parseDatasetProgress('[]')).toBeUndefined();
    expect(parseDatasetProgress(JSON.stringify(progress))).toEqual(progress);
  });
});
