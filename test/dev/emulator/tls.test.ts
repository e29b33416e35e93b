// The certificate: made once per state directory, shared by emulators that start together there.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../dev/emulator/index.js';

describe('emulator certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aml-emulator-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the certificate in ca.pem even when two emulators start at once in one directory', async () => {
    const [a, b] = await Promise.all([startEmulator({ stateDir: dir }), startEmulator({ stateDir: dir })]);
    try {
      const file = readFileSync(join(dir, 'ca.pem'), 'utf8');
      expect(a.caCert).toBe(file);
      expect(b.caCert).toBe(file);
      expect(a.caCertPath).toBe(join(dir, 'ca.pem'));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
