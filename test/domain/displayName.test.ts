import { describe, expect, it } from 'vitest';
import { displayName } from '../../src/domain/displayName.js';
import { NOTEBOOK_DEFAULTS } from '../../src/domain/fineTuneParameters.js';

describe('displayName', () => {
  it('names a notebook-default run on one 4-GPU node', () => {
    expect(
      displayName({
        model: 'Phi-3-mini-4k-instruct',
        parameters: NOTEBOOK_DEFAULTS,
        gpusPerNode: 4,
        nodes: 1,
      }),
    ).toBe('Phi-3-mini-4k-instruct-ultrachat-bs4-cosine-ds2-lora-save_limit-1-seqlen-1');
  });

  it('multiplies batch size by gradient accumulation, GPUs and nodes', () => {
    const parameters = {
      per_device_train_batch_size: '2',
      gradient_accumulation_steps: '8',
      lr_scheduler_type: 'linear',
      apply_deepspeed: 'true',
      deepspeed_stage: '3',
      apply_lora: 'false',
      save_total_limit: '2',
      max_seq_length: '2048',
    };
    expect(displayName({ model: 'm', parameters, gpusPerNode: 4, nodes: 2 })).toBe(
      'm-ultrachat-bs128-linear-ds3-nolora-save_limit2-seqlen2048',
    );
  });

  it("falls back to the notebook's values for missing parameters (linear, no DeepSpeed, no LoRA)", () => {
    expect(displayName({ model: 'm', parameters: {}, gpusPerNode: 1, nodes: 1 })).toBe(
      'm-ultrachat-bs1-linear-nods-nolora-save_limit-1-seqlen-1',
    );
  });

  it('counts the GPUs and nodes the parameters actually use, so the name matches the job', () => {
    const parameters = {
      ...NOTEBOOK_DEFAULTS,
      number_of_gpu_to_use_finetuning: '2',
      num_nodes_finetune: '3',
    };
    expect(displayName({ model: 'm', parameters, gpusPerNode: 4, nodes: 1 })).toBe(
      'm-ultrachat-bs6-cosine-ds2-lora-save_limit-1-seqlen-1',
    );
  });
});
