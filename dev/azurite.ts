// Starts Azurite (the real Storage emulator: blob, queue, table) as a child process on free ports.
// A child process rather than in-process servers: `require('azurite')` is the VS Code entry and fails,
// and its server classes take long positional configurations; the CLI is its supported interface.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Azurite's well-known development account (public, documented: not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StartAzuriteOptions {
  /** Keep data in memory (default) or, when false, on disk under `location`. */
  inMemory?: boolean;
  location?: string;
  /** Milliseconds to wait for the three services (default 30 s). */
  startTimeoutMs?: number;
  /** Ports to listen on (default: free ones); a restart passes the previous ones so clients keep working. */
  ports?: { blob: number; queue: number; table: number };
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

const SERVICES = ['Blob', 'Queue', 'Table'] as const;
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/g;

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const script = path.join(
    path.dirname(require.resolve('azurite/package.json')),
    'dist',
    'src',
    'azurite.js',
  );
  const inMemory = options.inMemory ?? options.location === undefined;
  const args = [
    script,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    ...(['blob', 'queue', 'table'] as const).flatMap((s) => [
      `--${s}Host`,
      '127.0.0.1',
      `--${s}Port`,
      String(options.ports?.[s] ?? 0),
    ]),
  ];
  if (inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    const location = path.resolve(options.location ?? '.autopilot/azurite');
    mkdirSync(location, { recursive: true });
    args.push('--location', location);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Azurite would outlive a parent that exits without stop(): take it down with us.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let output = '';
  const endpoints = await new Promise<Record<(typeof SERVICES)[number], string>>((resolve, reject) => {
    const found: Partial<Record<(typeof SERVICES)[number], string>> = {};
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`AZURITE.START_TIMEOUT: Azurite did not start: ${output.slice(-500)}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      for (const m of output.matchAll(LISTENING)) found[m[1] as (typeof SERVICES)[number]] = m[2] ?? '';
      if (SERVICES.every((s) => found[s])) {
        clearTimeout(timer);
        resolve(found as Record<(typeof SERVICES)[number], string>);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`AZURITE.EXITED: Azurite exited with code ${code}: ${output.slice(-500)}`));
    });
  });
  const blobEndpoint = `${endpoints.Blob}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `${endpoints.Queue}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `${endpoints.Table}/${AZURITE_ACCOUNT}`;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    ports: {
      blob: Number(new URL(blobEndpoint).port),
      queue: Number(new URL(queueEndpoint).port),
      table: Number(new URL(tableEndpoint).port),
    },
    stop: () => stopChild(child, killOnExit),
  };
}

function stopChild(child: ChildProcess, killOnExit: () => void): Promise<void> {
  process.removeListener('exit', killOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
