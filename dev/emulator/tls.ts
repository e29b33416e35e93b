// A self-signed certificate for the emulator's HTTPS server (the ARM clients refuse plain http for
// bearer tokens). Kept in the state directory and reused while it covers the host, so that a restart
// does not invalidate the CA file the app was pointed at.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Certificate {
  cert: string;
  key: string;
  caCertPath: string;
}

const CERT_FILE = 'ca.pem';
const KEY_FILE = 'key.pem';
const VALID_DAYS = 365;
const RENEW_BEFORE_MS = 24 * 3600 * 1000;

function covers(pem: string, host: string): boolean {
  try {
    const x509 = new X509Certificate(pem);
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return x509.checkHost(host) !== undefined || x509.checkIP(host) !== undefined;
  } catch {
    return false;
  }
}

const LOCK_DIR = '.certificate.lock';
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Two emulators starting at once in one state directory must not each write their own certificate
 * (one would then serve a certificate that ca.pem does not hold): creating a directory is atomic.
 */
async function withLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(stateDir, LOCK_DIR);
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > LOCK_WAIT_MS)
        throw new Error(`timed out waiting for ${lock}; remove it if no emulator is starting`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function loadOrCreateCertificate(stateDir: string, host: string): Promise<Certificate> {
  mkdirSync(stateDir, { recursive: true });
  return withLock(stateDir, () => loadOrCreate(stateDir, host));
}

async function loadOrCreate(stateDir: string, host: string): Promise<Certificate> {
  const caCertPath = join(stateDir, CERT_FILE);
  const keyPath = join(stateDir, KEY_FILE);
  if (existsSync(caCertPath) && existsSync(keyPath)) {
    const cert = readFileSync(caCertPath, 'utf8');
    if (covers(cert, host)) return { cert, key: readFileSync(keyPath, 'utf8'), caCertPath };
  }
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (isIP(host) && !['127.0.0.1', '::1'].includes(host)) altNames.push({ type: 7, ip: host });
  else if (!isIP(host) && host !== 'localhost') altNames.push({ type: 2, value: host });
  const notBefore = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'Azure ML emulator (finetune-autopilot)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + VALID_DAYS * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  writeFileSync(caCertPath, pems.cert);
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  return { cert: pems.cert, key: pems.private, caCertPath };
}
