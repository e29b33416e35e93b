import { describe, expect, it } from 'vitest';
import { checkLifecycle, readLifecycle } from '../../src/domain/modelLifecycle.js';

// Phi-3-mini-4k-instruct version 15's tags (Azure/azureml-assets assets/models/system/phi-3-mini-4k-instruct/spec.yaml)
const PHI3_TAGS = {
  FinetuneDeprecationDate: '2025-06-30',
  FinetuneRetirementDate: '2025-08-30',
  InferenceDeprecationDate: '2025-06-30',
  InferenceRetirementDate: '2025-08-30',
  task: 'chat-completion',
};
const phi3 = { name: 'Phi-3-mini-4k-instruct', version: '15' };

describe('readLifecycle', () => {
  it('reads the four dates, case-insensitively, and the archive state', () => {
    expect(readLifecycle(PHI3_TAGS, true)).toEqual({
      finetuneDeprecationDate: '2025-06-30',
      finetuneRetirementDate: '2025-08-30',
      inferenceDeprecationDate: '2025-06-30',
      inferenceRetirementDate: '2025-08-30',
      archived: true,
    });
    expect(readLifecycle({ finetuneretirementdate: '2027-01-31T00:00:00Z', other: 'x' }, false)).toEqual({
      finetuneRetirementDate: '2027-01-31',
    });
    expect(readLifecycle({ FinetuneRetirementDate: 'soon' }, false)).toEqual({});
  });
});

describe('checkLifecycle', () => {
  it('refuses a model past its fine-tune retirement, naming model, version, date and the setting', () => {
    expect(checkLifecycle(phi3, readLifecycle(PHI3_TAGS, false), '2026-12-01')).toEqual({
      ok: false,
      error: {
        code: 'MODEL.FINETUNE_RETIRED',
        message:
          'model Phi-3-mini-4k-instruct version 15 was retired for fine-tuning on 2025-08-30 (registry tag FinetuneRetirementDate); set BASE_MODEL_NAME to a model whose fine-tuning is live in the registry',
        details: { model: 'Phi-3-mini-4k-instruct', version: '15', finetuneRetirementDate: '2025-08-30' },
      },
    });
  });

  it('refuses an archived model even without dates', () => {
    expect(checkLifecycle({ name: 'm', version: '1' }, { archived: true }, '2026-12-01')).toMatchObject({
      ok: false,
      error: { code: 'MODEL.FINETUNE_RETIRED', details: { archived: true } },
    });
  });

  it('goes on with notes past a deprecation date, and with none before it', () => {
    const lifecycle = readLifecycle(PHI3_TAGS, false);
    expect(checkLifecycle(phi3, lifecycle, '2025-07-01')).toEqual({
      ok: true,
      value: [
        {
          code: 'MODEL.FINETUNE_DEPRECATED',
          message:
            'model Phi-3-mini-4k-instruct version 15 is deprecated for fine-tuning since 2025-06-30 and retires on 2025-08-30; plan a move to another model',
        },
        {
          code: 'MODEL.INFERENCE_DEPRECATED',
          message:
            'model Phi-3-mini-4k-instruct version 15 is deprecated for inference since 2025-06-30 and retires on 2025-08-30',
        },
      ],
    });
    expect(checkLifecycle(phi3, lifecycle, '2025-06-29')).toEqual({ ok: true, value: [] });
  });
});
