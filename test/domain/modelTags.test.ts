import { describe, expect, it } from 'vitest';
import { parsePythonLiteral, readModelTags, toComponentString } from '../../src/domain/modelTags.js';

describe('parsePythonLiteral', () => {
  it('reads a list of single-quoted strings (the allow-list tag form)', () => {
    expect(parsePythonLiteral("['Standard_NC6s_v3', 'Standard_NC24rs_v3']")).toEqual({
      ok: true,
      value: ['Standard_NC6s_v3', 'Standard_NC24rs_v3'],
    });
  });

  it('reads a dict with mixed scalars, nesting, tuples and a trailing comma', () => {
    expect(
      parsePythonLiteral(
        `{'apply_lora': 'true', "precision": 16, 'lr': 5e-06, 'on': True, 'off': False, 'x': None, 'n': [1, (2, -3.5),], 1: 'one',}`,
      ),
    ).toEqual({
      ok: true,
      value: {
        apply_lora: 'true',
        precision: 16,
        lr: 0.000005,
        on: true,
        off: false,
        x: null,
        n: [1, [2, -3.5]],
        '1': 'one',
      },
    });
  });

  it('decodes escapes and concatenates adjacent strings', () => {
    expect(parsePythonLiteral(String.raw`'it\'s' "\x41\u00e9\n"`)).toEqual({ ok: true, value: "it'sAé\n" });
  });

  it('reads empty containers', () => {
    expect(parsePythonLiteral(' [ ] ')).toEqual({ ok: true, value: [] });
    expect(parsePythonLiteral('{}')).toEqual({ ok: true, value: {} });
  });

  it('refuses names and calls instead of evaluating them', () => {
    expect(parsePythonLiteral("__import__('os')")).toEqual({
      ok: false,
      error: {
        code: 'MODEL.BAD_TAG_LITERAL',
        message:
          "not a Python literal at offset 0: '__import__' is not a literal (only True, False and None are)",
      },
    });
  });

  it('reports where the text stops being a literal', () => {
    expect(parsePythonLiteral("['a' 'b'")).toEqual({
      ok: false,
      error: {
        code: 'MODEL.BAD_TAG_LITERAL',
        message: "not a Python literal at offset 8: expected ',' or ']' after an item of '['",
      },
    });
    expect(parsePythonLiteral("['a'] x")).toEqual({
      ok: false,
      error: {
        code: 'MODEL.BAD_TAG_LITERAL',
        message: "not a Python literal at offset 6: unexpected 'x' after the value",
      },
    });
    expect(parsePythonLiteral("{'a' 1}")).toEqual({
      ok: false,
      error: {
        code: 'MODEL.BAD_TAG_LITERAL',
        message: "not a Python literal at offset 5: expected ':' after a dict key",
      },
    });
  });
});

describe('toComponentString', () => {
  it('writes booleans and numbers the way the component reads them', () => {
    expect([true, false, 16, 5e-6, 'cosine'].map(toComponentString)).toEqual([
      'true',
      'false',
      '16',
      '0.000005',
      'cosine',
    ]);
    expect(toComponentString(null)).toBeUndefined();
  });
});

describe('readModelTags', () => {
  it('reads both allow lists and the model-specific defaults as component strings', () => {
    expect(
      readModelTags({
        finetune_compute_allow_list: "['Standard_NC24rs_v3', 'Standard_NC24ads_A100_v4']",
        inference_compute_allow_list: "['Standard_NC6s_v3']",
        model_specific_defaults: "{'apply_deepspeed': 'true', 'precision': 16, 'apply_lora': True}",
        license: 'mit',
      }),
    ).toEqual({
      finetuneComputeAllowList: ['Standard_NC24rs_v3', 'Standard_NC24ads_A100_v4'],
      inferenceComputeAllowList: ['Standard_NC6s_v3'],
      modelSpecificDefaults: { apply_deepspeed: 'true', precision: '16', apply_lora: 'true' },
      problems: [],
    });
  });

  it('has no allow lists and empty defaults when the tags are absent', () => {
    expect(readModelTags({})).toEqual({ modelSpecificDefaults: {}, problems: [] });
  });

  it('reports unreadable tags and treats them as absent', () => {
    expect(
      readModelTags({
        finetune_compute_allow_list: "['Standard_NC24rs_v3', 3]",
        inference_compute_allow_list: '[oops]',
        model_specific_defaults: "{'apply_lora': 'true', 'layers': [1, 2]}",
      }),
    ).toEqual({
      modelSpecificDefaults: { apply_lora: 'true' },
      problems: [
        {
          code: 'MODEL.BAD_TAG',
          message:
            "model tag 'finetune_compute_allow_list' is not a list of strings: ['Standard_NC24rs_v3', 3]",
        },
        {
          code: 'MODEL.BAD_TAG',
          message:
            "model tag 'inference_compute_allow_list' is not a list of strings: not a Python literal at offset 1: 'oops' is not a literal (only True, False and None are)",
        },
        {
          code: 'MODEL.BAD_TAG',
          message:
            "model tag 'model_specific_defaults' entry 'layers' is not a string, number or boolean; ignored",
        },
      ],
    });
  });

  it('ignores default names that cannot be component inputs, __proto__ included', () => {
    expect(
      readModelTags({ model_specific_defaults: "{'__proto__': {'x': 1}, 'bad name': '1', 'seed': 42}" }),
    ).toEqual({
      modelSpecificDefaults: { seed: '42' },
      problems: [
        {
          code: 'MODEL.BAD_TAG',
          message:
            "model tag 'model_specific_defaults' entry '__proto__' is not a string, number or boolean; ignored",
        },
        {
          code: 'MODEL.BAD_TAG',
          message:
            "model tag 'model_specific_defaults' entry 'bad name' is not a component input name; ignored",
        },
      ],
    });
  });
});

describe('model_specific_defaults entries named like Object.prototype members', () => {
  it('keeps __proto__ as a plain entry, never the prototype', () => {
    const tags = readModelTags({ model_specific_defaults: "{'__proto__': 'x', 'apply_lora': 'true'}" });
    expect(Object.getPrototypeOf(tags.modelSpecificDefaults)).toBe(Object.prototype);
    expect(Object.keys(tags.modelSpecificDefaults)).toEqual(['__proto__', 'apply_lora']);
    expect(Object.getOwnPropertyDescriptor(tags.modelSpecificDefaults, '__proto__')?.value).toBe('x');
  });
});
