import { describe, expect, it } from 'vitest';
import {
  NOTEBOOK_DEFAULTS,
  fineTuneNodes,
  resolveFineTuneParameters,
  validateOverrides,
} from '../../src/domain/fineTuneParameters.js';

describe('NOTEBOOK_DEFAULTS', () => {
  it("are the notebook's training and optimization parameters as wire strings, on one node", () => {
    expect(NOTEBOOK_DEFAULTS).toEqual({
      num_train_epochs: '3',
      per_device_train_batch_size: '1',
      per_device_eval_batch_size: '1',
      learning_rate: '0.000005',
      lr_scheduler_type: 'cosine',
      apply_lora: 'true',
      apply_deepspeed: 'true',
      deepspeed_stage: '2',
      num_nodes_finetune: '1',
    });
  });
});

describe('resolveFineTuneParameters', () => {
  it('uses the notebook defaults and the compute GPU count when the model has no defaults and nothing is overridden', () => {
    expect(
      resolveFineTuneParameters({ modelSpecificDefaults: {}, overrides: undefined, gpusPerNode: 4 }),
    ).toEqual({
      ok: true,
      value: {
        parameters: {
          apply_deepspeed: 'true',
          apply_lora: 'true',
          deepspeed_stage: '2',
          learning_rate: '0.000005',
          lr_scheduler_type: 'cosine',
          num_nodes_finetune: '1',
          num_train_epochs: '3',
          number_of_gpu_to_use_finetuning: '4',
          per_device_eval_batch_size: '1',
          per_device_train_batch_size: '1',
        },
        sources: {
          apply_deepspeed: 'default',
          apply_lora: 'default',
          deepspeed_stage: 'default',
          learning_rate: 'default',
          lr_scheduler_type: 'default',
          num_nodes_finetune: 'default',
          num_train_epochs: 'default',
          number_of_gpu_to_use_finetuning: 'compute',
          per_device_eval_batch_size: 'default',
          per_device_train_batch_size: 'default',
        },
      },
    });
  });

  it('lets model-specific defaults override the notebook, and the run override both', () => {
    const result = resolveFineTuneParameters({
      modelSpecificDefaults: { learning_rate: '0.00002', precision: '16', ignore_mismatched_sizes: 'false' },
      overrides: { learning_rate: 0.0001, num_train_epochs: '1', apply_lora: false },
      gpusPerNode: 1,
    });
    expect(result.ok && result.value.parameters).toMatchObject({
      learning_rate: '0.0001',
      num_train_epochs: '1',
      apply_lora: 'false',
      precision: '16',
      ignore_mismatched_sizes: 'false',
      per_device_train_batch_size: '1',
    });
    expect(result.ok && result.value.sources).toMatchObject({
      learning_rate: 'override',
      num_train_epochs: 'override',
      apply_lora: 'override',
      precision: 'model',
      ignore_mismatched_sizes: 'model',
      per_device_train_batch_size: 'default',
    });
  });

  it('lets a run use fewer GPUs than a node has', () => {
    const result = resolveFineTuneParameters({
      modelSpecificDefaults: {},
      overrides: { number_of_gpu_to_use_finetuning: 2 },
      gpusPerNode: 4,
    });
    expect(result.ok && result.value.parameters.number_of_gpu_to_use_finetuning).toBe('2');
    expect(result.ok && result.value.sources.number_of_gpu_to_use_finetuning).toBe('override');
  });

  it('rejects more GPUs than a node has, with the other problems', () => {
    expect(
      resolveFineTuneParameters({
        modelSpecificDefaults: {},
        overrides: { number_of_gpu_to_use_finetuning: 8, epochs: 2 },
        gpusPerNode: 4,
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'FINETUNE.INVALID_OVERRIDES',
        message:
          'fine-tune overrides have 2 problems: epochs: not a fine-tune parameter; number_of_gpu_to_use_finetuning: the compute has 4 GPU(s) per node, got 8',
        details: [
          {
            parameter: 'epochs',
            code: 'FINETUNE.UNKNOWN_PARAMETER',
            message: 'epochs: not a fine-tune parameter',
          },
          {
            parameter: 'number_of_gpu_to_use_finetuning',
            code: 'FINETUNE.OUT_OF_RANGE',
            message: 'number_of_gpu_to_use_finetuning: the compute has 4 GPU(s) per node, got 8',
          },
        ],
      },
    });
  });
});

describe('validateOverrides', () => {
  it('accepts no overrides', () => {
    expect(validateOverrides(undefined)).toEqual({ ok: true, value: {} });
    expect(validateOverrides(null)).toEqual({ ok: true, value: {} });
  });

  it('normalizes JSON values to the strings the component takes', () => {
    expect(
      validateOverrides({
        learning_rate: 2e-5,
        apply_deepspeed: 'False',
        deepspeed_stage: 3,
        max_seq_length: '2048',
        lora_dropout: 0.05,
        save_total_limit: -1,
        lr_scheduler_type: 'constant_with_warmup',
      }),
    ).toEqual({
      ok: true,
      value: {
        learning_rate: '0.00002',
        apply_deepspeed: 'false',
        deepspeed_stage: '3',
        max_seq_length: '2048',
        lora_dropout: '0.05',
        save_total_limit: '-1',
        lr_scheduler_type: 'constant_with_warmup',
      },
    });
  });

  it('returns every problem at once: unknown names (with a suggestion), bad types and out-of-range values', () => {
    const result = validateOverrides({
      learning_rat: 0.1,
      num_train_epochs: 1.5,
      apply_lora: 'yes',
      lr_scheduler_type: 'cosine_annealing',
      deepspeed_stage: 1,
      warmup_steps: -10,
      learning_rate: 0,
      lora_dropout: 1.5,
      per_device_train_batch_size: '8x',
      precision: ['16'],
      colour: 'blue',
    });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'FINETUNE.INVALID_OVERRIDES',
        message: expect.stringMatching(
          /^fine-tune overrides have 11 problems: learning_rat: not a fine-tune parameter; did you mean 'learning_rate'\?; /,
        ) as string,
        details: [
          {
            parameter: 'learning_rat',
            code: 'FINETUNE.UNKNOWN_PARAMETER',
            message: "learning_rat: not a fine-tune parameter; did you mean 'learning_rate'?",
          },
          {
            parameter: 'num_train_epochs',
            code: 'FINETUNE.BAD_TYPE',
            message: 'num_train_epochs: expected a whole number, got 1.5',
          },
          {
            parameter: 'apply_lora',
            code: 'FINETUNE.BAD_TYPE',
            message: "apply_lora: expected true or false, got 'yes'",
          },
          {
            parameter: 'lr_scheduler_type',
            code: 'FINETUNE.OUT_OF_RANGE',
            message:
              "lr_scheduler_type: expected one of linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup, got 'cosine_annealing'",
          },
          {
            parameter: 'deepspeed_stage',
            code: 'FINETUNE.OUT_OF_RANGE',
            message: 'deepspeed_stage: expected one of 2, 3, got 1',
          },
          {
            parameter: 'warmup_steps',
            code: 'FINETUNE.OUT_OF_RANGE',
            message: 'warmup_steps: expected a whole number from 0 to 1000000000, got -10',
          },
          {
            parameter: 'learning_rate',
            code: 'FINETUNE.OUT_OF_RANGE',
            message: 'learning_rate: expected a number > 0 and <= 1, got 0',
          },
          {
            parameter: 'lora_dropout',
            code: 'FINETUNE.OUT_OF_RANGE',
            message: 'lora_dropout: expected a number from 0 to 1, got 1.5',
          },
          {
            parameter: 'per_device_train_batch_size',
            code: 'FINETUNE.BAD_TYPE',
            message: "per_device_train_batch_size: expected a whole number, got '8x'",
          },
          {
            parameter: 'precision',
            code: 'FINETUNE.BAD_TYPE',
            message: 'precision: expected one of 16, 32, got ["16"]',
          },
          {
            parameter: 'colour',
            code: 'FINETUNE.UNKNOWN_PARAMETER',
            message: 'colour: not a fine-tune parameter',
          },
        ],
      },
    });
  });

  it('rejects overrides that are not an object', () => {
    expect(validateOverrides([1])).toEqual({
      ok: false,
      error: {
        code: 'FINETUNE.INVALID_OVERRIDES',
        message:
          'fine-tune overrides have 1 problem: overrides must be a JSON object of component inputs, got an array',
        details: [
          {
            parameter: '',
            code: 'FINETUNE.NOT_AN_OBJECT',
            message: 'overrides must be a JSON object of component inputs, got an array',
          },
        ],
      },
    });
  });

  it('refuses data and compute inputs, which the run sets itself', () => {
    const result = validateOverrides({ compute_finetune: 'other-cluster', train_file_path: 'x' });
    expect(result.ok ? [] : (result.error.details as { code: string }[]).map((p) => p.code)).toEqual([
      'FINETUNE.UNKNOWN_PARAMETER',
      'FINETUNE.UNKNOWN_PARAMETER',
    ]);
  });
});

describe('fineTuneNodes', () => {
  it('is 1 by default, the model default when it has one, the override over both', () => {
    expect(fineTuneNodes({ modelSpecificDefaults: {}, overrides: undefined })).toBe(1);
    expect(fineTuneNodes({ modelSpecificDefaults: { num_nodes_finetune: '2' }, overrides: {} })).toBe(2);
    expect(
      fineTuneNodes({
        modelSpecificDefaults: { num_nodes_finetune: '2' },
        overrides: { num_nodes_finetune: '3' },
      }),
    ).toBe(3);
  });

  it('skips an invalid override (resolveFineTuneParameters reports it)', () => {
    expect(fineTuneNodes({ modelSpecificDefaults: {}, overrides: { num_nodes_finetune: 0 } })).toBe(1);
  });
});

describe('-1 and text parameters', () => {
  it('accepts -1 as "no limit" for max_seq_length and save_total_limit but not 0 or -2', () => {
    expect(
      validateOverrides({ max_seq_length: -1, save_total_limit: '-1', metric_for_best_model: 'loss' }),
    ).toEqual({
      ok: true,
      value: { max_seq_length: '-1', save_total_limit: '-1', metric_for_best_model: 'loss' },
    });
    const result = validateOverrides({ max_seq_length: 0, save_total_limit: -2, metric_for_best_model: '' });
    expect(result.ok ? [] : result.error.details).toEqual([
      {
        parameter: 'max_seq_length',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: 'max_seq_length: expected a whole number from 1 to 1048576 or -1, got 0',
      },
      {
        parameter: 'save_total_limit',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: 'save_total_limit: expected a whole number from 1 to 1000 or -1, got -2',
      },
      {
        parameter: 'metric_for_best_model',
        code: 'FINETUNE.BAD_TYPE',
        message: "metric_for_best_model: expected a non-empty string, got ''",
      },
    ]);
  });
});

describe('overrides from a hostile or careless caller (issue 14)', () => {
  it('treats names inherited from Object.prototype as unknown parameters', () => {
    const result = validateOverrides(
      JSON.parse('{"constructor":1,"toString":"x","hasOwnProperty":2,"__proto__":3}') as unknown,
    );
    expect(result.ok ? [] : result.error.details).toEqual([
      {
        parameter: 'constructor',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: 'constructor: not a fine-tune parameter',
      },
      {
        parameter: 'toString',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: 'toString: not a fine-tune parameter',
      },
      {
        parameter: 'hasOwnProperty',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: 'hasOwnProperty: not a fine-tune parameter',
      },
      {
        parameter: '__proto__',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: '__proto__: not a fine-tune parameter',
      },
    ]);
  });

  it('refuses a value nested 5,000 levels deep with the limit, without overflowing the stack', () => {
    const deep = JSON.parse(`{"num_train_epochs":${'['.repeat(5000)}1${']'.repeat(5000)}}`) as unknown;
    expect(validateOverrides(deep)).toEqual({
      ok: false,
      error: {
        code: 'FINETUNE.INVALID_OVERRIDES',
        message:
          'fine-tune overrides have 1 problem: overrides are nested more than 4 levels deep; fine-tune parameters are single values',
        details: [
          {
            parameter: '',
            code: 'FINETUNE.OVERRIDES_TOO_LARGE',
            message: 'overrides are nested more than 4 levels deep; fine-tune parameters are single values',
          },
        ],
      },
    });
  });

  it('refuses more than 200 keys and array elements in all', () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`p${i}`, 1]));
    const result = validateOverrides(many);
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: '',
        code: 'FINETUNE.OVERRIDES_TOO_LARGE',
        message: 'overrides hold more than 200 keys and array elements; there are 31 fine-tune parameters',
      },
    ]);
  });

  it('refuses num_train_epochs 1e308 as out of range instead of sending "1e+308"', () => {
    const result = validateOverrides({ num_train_epochs: 1e308 });
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: 'num_train_epochs',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: 'num_train_epochs: expected a whole number from 1 to 1000, got 1e+308',
      },
    ]);
  });

  it('refuses a learning rate above 1, saying the lower bound is exclusive', () => {
    const result = validateOverrides({ learning_rate: '2' });
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: 'learning_rate',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: "learning_rate: expected a number > 0 and <= 1, got '2'",
      },
    ]);
  });

  it('refuses a text value longer than 256 characters', () => {
    const result = validateOverrides({ metric_for_best_model: 'l'.repeat(257) });
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: 'metric_for_best_model',
        code: 'FINETUNE.OUT_OF_RANGE',
        message: 'metric_for_best_model: expected at most 256 characters, got 257',
      },
    ]);
  });

  it('echoes an unknown name longer than 100 characters truncated, with no suggestion', () => {
    const name = `num_train_epochs${'s'.repeat(185)}`;
    const result = validateOverrides({ [name]: 1 });
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: `num_train_epochs${'s'.repeat(48)}... (201 characters)`,
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: `num_train_epochs${'s'.repeat(48)}... (201 characters): not a fine-tune parameter`,
      },
    ]);
  });

  it('still suggests the closest name for a short typo', () => {
    const result = validateOverrides({ num_train_epoch: 1 });
    expect(result.ok ? undefined : result.error.details).toEqual([
      {
        parameter: 'num_train_epoch',
        code: 'FINETUNE.UNKNOWN_PARAMETER',
        message: "num_train_epoch: not a fine-tune parameter; did you mean 'num_train_epochs'?",
      },
    ]);
  });

  it('reads the node count only from own properties, never from a prototype', () => {
    const inherited = Object.create({ num_nodes_finetune: '4' }) as Record<string, string>;
    expect(fineTuneNodes({ modelSpecificDefaults: inherited, overrides: {} })).toBe(1);
  });
});
