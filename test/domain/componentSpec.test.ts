import { describe, expect, it } from 'vitest';
import {
  checkInputValue,
  checkJobInputs,
  parseComponentId,
  readComponentInputs,
  type ComponentSpec,
} from '../../src/domain/componentSpec.js';

const spec: ComponentSpec = {
  id: 'azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78',
  name: 'chat_completion_pipeline',
  version: '0.0.78',
  inputs: {
    num_train_epochs: { type: 'integer', min: 1, default: '1', optional: true },
    learning_rate: { type: 'number', default: '2e-05', optional: true },
    optim: { type: 'string', enum: ['adamw_torch', 'adafactor'], default: 'adamw_torch' },
    apply_lora: { type: 'string', enum: ['true', 'false'], default: 'false' },
    train_file_path: { type: 'uri_file', optional: true },
  },
};

describe('parseComponentId', () => {
  it('reads a pinned version and refuses a label', () => {
    expect(
      parseComponentId('azureml://registries/azureml/components/chat_completion_pipeline/versions/0.0.78'),
    ).toEqual({
      registry: 'azureml',
      name: 'chat_completion_pipeline',
      version: '0.0.78',
    });
    expect(
      parseComponentId('azureml://registries/azureml/components/chat_completion_pipeline/labels/latest'),
    ).toBe(undefined);
  });
});

describe('readComponentInputs', () => {
  it('keeps type, optional, default, enum, min and max as declared, skipping unusable entries', () => {
    expect(
      readComponentInputs({
        num_train_epochs: { type: 'integer', min: 1, default: 1, optional: true, description: 'x' },
        adam_epsilon: { type: 'number', default: '1e-8' },
        precision: { type: 'string', enum: ['32', 16] },
        broken: { default: 1 },
        alsoBroken: 'integer',
      }),
    ).toEqual({
      num_train_epochs: { type: 'integer', min: 1, default: '1', optional: true },
      adam_epsilon: { type: 'number', default: '1e-8' },
      precision: { type: 'string', enum: ['32', '16'] },
    });
  });
});

describe('checkInputValue', () => {
  it('takes a declared value as its wire string', () => {
    expect(checkInputValue(spec, 'num_train_epochs', 3)).toEqual({ ok: true, value: '3' });
    expect(checkInputValue(spec, 'apply_lora', true)).toEqual({ ok: true, value: 'true' });
    expect(checkInputValue(spec, 'learning_rate', '0.0001')).toEqual({ ok: true, value: '0.0001' });
  });

  it('refuses an undeclared input, naming it and the component version', () => {
    expect(checkInputValue(spec, 'learning_rate_min', '1e-6')).toEqual({
      ok: false,
      error: {
        input: 'learning_rate_min',
        code: 'FINETUNE.UNKNOWN_INPUT',
        message:
          'learning_rate_min: not an input of chat_completion_pipeline 0.0.78; remove it or pin a component version that has it (PIPELINE_COMPONENT)',
      },
    });
  });

  it('does not take names inherited from Object.prototype for inputs', () => {
    expect(checkInputValue(spec, 'constructor', 1)).toMatchObject({
      ok: false,
      error: { code: 'FINETUNE.UNKNOWN_INPUT' },
    });
    expect(checkInputValue(spec, 'toString', 'x')).toMatchObject({
      ok: false,
      error: { code: 'FINETUNE.UNKNOWN_INPUT' },
    });
  });

  it('refuses a value outside the enum, below the minimum, or not a safe whole number', () => {
    expect(checkInputValue(spec, 'optim', 'adamw_hf')).toEqual({
      ok: false,
      error: {
        input: 'optim',
        code: 'FINETUNE.INVALID_VALUE',
        message:
          "optim: expected one of adamw_torch, adafactor, got 'adamw_hf' (chat_completion_pipeline 0.0.78)",
      },
    });
    expect(checkInputValue(spec, 'num_train_epochs', 0)).toMatchObject({
      ok: false,
      error: {
        message: 'num_train_epochs: expected a whole number >= 1, got 0 (chat_completion_pipeline 0.0.78)',
      },
    });
    expect(checkInputValue(spec, 'num_train_epochs', 1e308)).toMatchObject({
      ok: false,
      error: { code: 'FINETUNE.INVALID_VALUE' },
    });
  });

  it('refuses to let overrides set a data input the run sets itself', () => {
    expect(checkInputValue(spec, 'train_file_path', 'x')).toMatchObject({
      ok: false,
      error: {
        message: 'train_file_path: a uri_file input the run sets itself (chat_completion_pipeline 0.0.78)',
      },
    });
  });
});

describe('checkJobInputs', () => {
  it('drops undeclared defaults with a list, keeps declared ones, and layers the strict values last', () => {
    expect(
      checkJobInputs(spec, {
        lenient: { learning_rate: '0.000005', learning_rate_min: '1e-6', apply_lora: 'true' },
        strict: { num_train_epochs: 2 },
      }),
    ).toEqual({
      ok: true,
      value: {
        values: { apply_lora: 'true', learning_rate: '0.000005', num_train_epochs: '2' },
        dropped: [{ input: 'learning_rate_min', value: '1e-6' }],
      },
    });
  });

  it('reports every problem of the strict values at once', () => {
    const result = checkJobInputs(spec, { lenient: {}, strict: { lora_rank: 8, optim: 'sgd' } });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'FINETUNE.UNKNOWN_INPUT',
        message:
          "job inputs have 2 problems against chat_completion_pipeline 0.0.78: lora_rank: not an input of chat_completion_pipeline 0.0.78; remove it or pin a component version that has it (PIPELINE_COMPONENT); optim: expected one of adamw_torch, adafactor, got 'sgd' (chat_completion_pipeline 0.0.78)",
      },
    });
  });
});
