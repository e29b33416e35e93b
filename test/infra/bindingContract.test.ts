import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FunctionName, HandledEventTypes } from '../../src/names.js';
import { bindingProblems, eventBindings, type EventBinding } from './armRules.js';

const readTemplate = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../infra/${name}`, import.meta.url), 'utf8'));

const bindings = [...eventBindings(readTemplate('main.json')), ...eventBindings(readTemplate('events.json'))];

describe('event subscriptions and the functions they trigger', () => {
  it('give every Event Grid-triggered function one subscription with exactly the event types it handles', () => {
    expect(bindingProblems(bindings, HandledEventTypes)).toEqual([]);
  });

  it('deliver to functions that exist, through the Event Grid extension webhook and its system key', () => {
    const functionNames: readonly string[] = Object.values(FunctionName);
    for (const binding of bindings) {
      expect(functionNames).toContain(binding.functionName);
      expect(binding.endpoint).toMatch(
        /^https:\/\/.+\/runtime\/webhooks\/eventgrid\?functionName=\w+&code=.*(eventgrid_extension|eventGridKey)/,
      );
    }
  });

  it('start runs only for blobs under incoming/ of the training container', () => {
    const uploads = bindings.find((b) => b.functionName === FunctionName.datasetUploaded);
    expect(uploads?.subjectBeginsWith).toBe(
      '/blobServices/default/containers/⟨p:trainingContainerName⟩/blobs/incoming/',
    );
  });
});

describe('bindingProblems', () => {
  const binding = (functionName: string | undefined, eventTypes: string[]): EventBinding => ({
    path: '$',
    subscription: `sub-${functionName ?? 'none'}`,
    functionName,
    endpoint: `https://app.example/runtime/webhooks/eventgrid?functionName=${functionName ?? ''}&code=k`,
    eventTypes,
    subjectBeginsWith: undefined,
  });
  const handled = { a: ['T.One', 'T.Two'], b: ['T.Three'] };

  it('accepts subscriptions that match, in any order', () => {
    expect(bindingProblems([binding('a', ['T.Two', 'T.One']), binding('b', ['T.Three'])], handled)).toEqual(
      [],
    );
  });

  it('reports a subscription with an event type too many or too few', () => {
    expect(bindingProblems([binding('a', ['T.One']), binding('b', ['T.Three', 'T.One'])], handled)).toEqual([
      'sub-a: event types [T.One] but a handles [T.One, T.Two]',
      'sub-b: event types [T.One, T.Three] but b handles [T.Three]',
    ]);
  });

  it('reports a function without a subscription, and a subscription to a function that handles no events', () => {
    expect(bindingProblems([binding('a', ['T.One', 'T.Two']), binding('c', ['T.Three'])], handled)).toEqual([
      "sub-c: delivers to 'c', which handles no Event Grid events",
      'b: 0 event subscriptions deliver to it (expected 1)',
    ]);
  });

  it('reports an endpoint that names no function or is not the Event Grid webhook', () => {
    const wrongPath = { ...binding('b', ['T.Three']), endpoint: 'https://app.example/api/b?functionName=b' };
    expect(
      bindingProblems([binding('a', ['T.One', 'T.Two']), wrongPath, binding(undefined, [])], handled),
    ).toEqual([
      "sub-b: webhook is not the Event Grid extension's (/runtime/webhooks/eventgrid?)",
      "sub-none: endpoint 'https://app.example/runtime/webhooks/eventgrid?functionName=&code=k' names no function",
    ]);
  });
});
