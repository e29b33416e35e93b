// The credential chosen by AZUREML_CREDENTIAL (src/adapters/credential.ts). Only the choice is
// tested here: DefaultAzureCredential needs a real identity, and the static token is what the
// adapter tests send to the emulator on every request.
import { DefaultAzureCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { STATIC_TOKEN, StaticTokenCredential, createCredential } from '../../src/adapters/credential.js';

describe('StaticTokenCredential', () => {
  it('gives the fixed local token, valid for an hour from now', async () => {
    const before = Date.now();
    const token = await new StaticTokenCredential().getToken();
    expect(token.token).toBe('local-emulator-token');
    expect(STATIC_TOKEN).toBe('local-emulator-token');
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(token.expiresOnTimestamp).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('gives the token it was made with', async () => {
    expect((await new StaticTokenCredential('other').getToken()).token).toBe('other');
  });
});

describe('createCredential', () => {
  it('is the static credential in static mode, whatever the client id', () => {
    expect(createCredential({ credential: 'static', clientId: 'ignored' })).toBeInstanceOf(
      StaticTokenCredential,
    );
  });

  it('is DefaultAzureCredential in default mode, with or without a managed identity client id', () => {
    expect(createCredential({ credential: 'default' })).toBeInstanceOf(DefaultAzureCredential);
    expect(
      createCredential({ credential: 'default', clientId: '00000000-0000-0000-0000-000000000001' }),
    ).toBeInstanceOf(DefaultAzureCredential);
  });
});
