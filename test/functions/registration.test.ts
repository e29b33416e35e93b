// functions/ as a whole registers what docs/architecture.md ("The flow") names, and nothing else.
// Each file's triggers and handler are tested beside it (test/functions/<name>.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionName } from '../../src/names.js';
import { captureRegistrations, type Registration } from './support.js';

let registered: Map<string, Registration>;

beforeAll(async () => {
  registered = await captureRegistrations(async () => {
    await import('../../functions/datasetUploaded.js');
    await import('../../functions/runsApi.js');
    await import('../../functions/linesApi.js');
    await import('../../functions/dashboard.js');
    await import('../../functions/jobEvents.js');
    await import('../../functions/idleEndpointTeardown.js');
    await import('../../functions/fineTuneOrchestrator.js');
  });
});

describe('function registrations', () => {
  it('registers each entry point under its documented name', () => {
    expect(
      [...registered.keys()].filter((n) => !n.startsWith('fineTune') && !n.startsWith('line')).sort(),
    ).toEqual(
      [
        FunctionName.dashboard,
        FunctionName.datasetUploaded,
        FunctionName.idleEndpointTeardown,
        FunctionName.jobEvents,
        FunctionName.runsApi,
      ].sort(),
    );
    expect(registered.has(FunctionName.fineTuneOrchestrator)).toBe(true);
    expect(registered.has(FunctionName.lineOrchestrator)).toBe(true);
    expect(registered.has(FunctionName.linesApi)).toBe(true);
  });
});
