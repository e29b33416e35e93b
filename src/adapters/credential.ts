// The token credential for ARM, the registry and MLflow, chosen by AZUREML_CREDENTIAL.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureMlSettings } from '../config.js';

/** The fixed bearer token sent in `static` mode. */
export const STATIC_TOKEN = 'local-emulator-token';

const STATIC_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/**
 * `static` mode: the local Azure ML emulator accepts any bearer token, and that token never
 * leaves the machine (ARM_ENDPOINT points at 127.0.0.1), so there is no secret to protect and
 * no identity to acquire one from.
 */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string = STATIC_TOKEN) {}

  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + STATIC_TOKEN_LIFETIME_MS });
  }
}

/** `default`: DefaultAzureCredential, pinned to the user-assigned managed identity when one is configured. */
export function createCredential(
  settings: Pick<AzureMlSettings, 'credential' | 'clientId'>,
): TokenCredential {
  if (settings.credential === 'static') return new StaticTokenCredential();
  return settings.clientId === undefined
    ? new DefaultAzureCredential()
    : new DefaultAzureCredential({ managedIdentityClientId: settings.clientId });
}
