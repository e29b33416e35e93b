import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluateString, parseValue, refFromValue, type Scope } from './armExpression.js';

const scope: Scope = {
  parameters: { app: { type: 'string' }, count: { type: 'int', defaultValue: 3 } },
  variables: {
    storage: "[format('st{0}', uniqueString(resourceGroup().id))]",
    roles: { reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' },
  },
};

describe('parseValue', () => {
  it('reads literals, escaped quotes and the [[ escape', () => {
    expect(parseValue('plain')).toEqual({ kind: 'string', value: 'plain' });
    expect(parseValue('[[not an expression]')).toEqual({ kind: 'string', value: '[not an expression]' });
    expect(parseValue("['it''s']")).toEqual({ kind: 'string', value: "it's" });
  });

  it('reads calls with property and index accessors', () => {
    expect(parseValue("[reference('x').outputs['a'].value]")).toEqual({
      kind: 'call',
      name: 'reference',
      args: [{ kind: 'string', value: 'x' }],
      accessors: [
        { kind: 'property', name: 'outputs' },
        { kind: 'index', expr: { kind: 'string', value: 'a' } },
        { kind: 'property', name: 'value' },
      ],
    });
  });

  it('names the position of a syntax error', () => {
    expect(() => parseValue("[concat('a', 'b']")).toThrow(
      new ExpressionError("expected ')' at position 15 of [concat('a', 'b']"),
    );
  });
});

describe('evaluateString', () => {
  it('builds names from format, concat and variables, keeping unknowns as placeholders', () => {
    expect(
      evaluateString("[format('{0}/default/{1}', variables('storage'), parameters('app'))]", scope),
    ).toBe('st⟨uniquestring(⟨resourcegroup()⟩.id)⟩/default/⟨p:app⟩');
    expect(evaluateString("[concat('id-', parameters('app'))]", scope)).toBe('id-⟨p:app⟩');
  });

  it('reads object variables through accessors, and parameter defaults only when asked', () => {
    expect(evaluateString("[variables('roles').reader]", scope)).toBe('acdd72a7-3385-48ef-bd42-f606fba81ae7');
    expect(evaluateString("[string(parameters('count'))]", scope)).toBe('⟨p:count⟩');
    expect(evaluateString("[string(parameters('count'))]", { ...scope, parameterDefaults: true })).toBe('3');
  });

  it('turns resourceId calls into references, with child names joined and scopes skipped', () => {
    const id = evaluateString(
      "[resourceId('rg', 'Microsoft.Storage/storageAccounts/blobServices/containers', variables('storage'), 'default', 'data')]",
      scope,
    );
    expect(refFromValue(id)).toEqual({
      type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
      name: 'st⟨uniquestring(⟨resourcegroup()⟩.id)⟩/default/data',
    });
    const extension = evaluateString(
      "[extensionResourceId(resourceId('Microsoft.Web/sites', 'app'), 'Microsoft.Authorization/roleAssignments', guid('x'))]",
      scope,
    );
    expect(refFromValue(extension)).toEqual({
      type: 'Microsoft.Authorization/roleAssignments',
      name: '⟨guid(x)⟩',
    });
  });

  it('uses a given parameter value over the default', () => {
    expect(
      evaluateString("[string(parameters('count'))]", {
        ...scope,
        parameterDefaults: true,
        parameterValues: { count: 7 },
      }),
    ).toBe('7');
  });

  it('compares known values with equals() and negates booleans with not()', () => {
    const given = { ...scope, parameterValues: { app: 'ft' } };
    expect(evaluateString("[equals(parameters('app'), 'ft')]", given)).toBe(true);
    expect(evaluateString("[equals(parameters('app'), 'other')]", given)).toBe(false);
    expect(evaluateString("[not(equals(parameters('app'), 'ft'))]", given)).toBe(false);
  });

  it('keeps equals() of an unknown value symbolic', () => {
    expect(evaluateString("[equals(parameters('app'), 'ft')]", scope)).toBe('⟨equals(⟨p:app⟩,ft)⟩');
  });

  it('evaluates only the branch if() picks', () => {
    const given = { ...scope, parameterValues: { app: 'ft' } };
    expect(evaluateString("[if(equals(parameters('app'), 'ft'), 'yes', variables('missing'))]", given)).toBe(
      'yes',
    );
    expect(evaluateString("[if(equals(parameters('app'), 'x'), variables('missing'), 'no')]", given)).toBe(
      'no',
    );
  });

  it('keeps if() of an unknown condition symbolic', () => {
    expect(evaluateString("[if(equals(parameters('app'), 'ft'), 'yes', 'no')]", scope)).toBe(
      '⟨if(⟨equals(⟨p:app⟩,ft)⟩)⟩',
    );
  });

  it('rejects an undefined variable', () => {
    expect(() => evaluateString("[variables('missing')]", scope)).toThrow(
      "variables('missing') is not defined",
    );
  });
});
