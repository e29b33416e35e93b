import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/domain/gate.js';

const metrics = {
  'finetune/eval_loss': 0.42,
  'finetune/train_loss': 0.3,
  'model_evaluation/perplexity': 7.5,
};

describe('evaluateGate', () => {
  it('passes when no gate is configured', () => {
    expect(evaluateGate(metrics)).toEqual({ passed: true, reason: 'no quality gate configured' });
  });

  it('matches a metric by its last segment and passes at or below the maximum', () => {
    expect(evaluateGate(metrics, { metric: 'eval_loss', max: 0.5 })).toEqual({
      passed: true,
      reason: 'finetune/eval_loss = 0.42 <= 0.5',
      key: 'finetune/eval_loss',
      value: 0.42,
    });
    expect(evaluateGate(metrics, { metric: 'eval_loss', max: 0.42 }).passed).toBe(true);
  });

  it('fails above the maximum', () => {
    expect(evaluateGate(metrics, { metric: 'perplexity', max: 5 })).toEqual({
      passed: false,
      reason: 'model_evaluation/perplexity = 7.5 is above the maximum 5',
      key: 'model_evaluation/perplexity',
      value: 7.5,
    });
  });

  it('matches a full key exactly', () => {
    expect(evaluateGate(metrics, { metric: 'finetune/train_loss', max: 1 }).key).toBe('finetune/train_loss');
  });

  it('does not match a metric whose name only ends the same way', () => {
    expect(evaluateGate({ 'finetune/my_eval_loss': 0.1 }, { metric: 'eval_loss', max: 1 })).toEqual({
      passed: false,
      reason: "metric 'eval_loss' was not reported by the job (reported: finetune/my_eval_loss)",
    });
  });

  it('fails, naming the reported metrics, when the metric is missing', () => {
    expect(evaluateGate({}, { metric: 'eval_loss', max: 1 })).toEqual({
      passed: false,
      reason: "metric 'eval_loss' was not reported by the job (reported: none)",
    });
  });

  it('fails an ambiguous metric, naming the candidates', () => {
    expect(evaluateGate({ 'b/eval_loss': 1, 'a/eval_loss': 2 }, { metric: 'eval_loss', max: 3 })).toEqual({
      passed: false,
      reason: "metric 'eval_loss' is ambiguous (a/eval_loss, b/eval_loss); set GATE_METRIC to one of them",
    });
  });
});
