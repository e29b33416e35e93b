// The recorded declaration of chat_completion_pipeline 0.0.78 (Azure/azureml-assets spec.yaml at
// commit f1947d6f7b4586f515fbad8a1aa6ed60b6f10a99): spot checks of values read from that file.
import { describe, expect, it } from 'vitest';
import { PINNED_COMPONENT } from '../../src/domain/pinnedComponent.js';

describe('PINNED_COMPONENT', () => {
  it('is version 0.0.78 by its pinned id', () => {
    expect(PINNED_COMPONENT.id).toBe(
      'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
    );
    expect(PINNED_COMPONENT.version).toBe('0.0.78');
  });

  it('declares the inputs as the spec does', () => {
    expect(PINNED_COMPONENT.inputs.optim).toEqual({
      type: 'string',
      optional: true,
      default: 'adamw_torch',
      enum: ['adamw_torch', 'adafactor'],
    });
    expect(PINNED_COMPONENT.inputs.metric_for_best_model?.enum).toEqual(['loss', 'f1', 'exact']);
    expect(PINNED_COMPONENT.inputs.evaluation_strategy?.enum).toEqual(['epoch', 'steps', 'disable']);
    expect(PINNED_COMPONENT.inputs.num_train_epochs).toEqual({
      type: 'integer',
      optional: true,
      default: '1',
      min: 1,
    });
    expect(PINNED_COMPONENT.inputs.task_name).toEqual({
      type: 'string',
      default: 'ChatCompletion',
      enum: ['ChatCompletion'],
    });
    expect(PINNED_COMPONENT.inputs.compute_model_evaluation?.default).toBe('serverless');
    expect(Object.hasOwn(PINNED_COMPONENT.inputs, 'learning_rate_min')).toBe(false);
    expect(Object.keys(PINNED_COMPONENT.inputs)).toHaveLength(67);
  });
});
