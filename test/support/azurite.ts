// Real Azurite blob service, in this process, in memory, on a port the OS picks.
// `require('azurite')` is the VS Code extension entry, so the server class is loaded directly.
import { createRequire } from 'node:module';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../dev/azurite.js';

const require = createRequire(import.meta.url);

interface BlobServerInstance {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type BlobServerClass = new (configuration: unknown) => BlobServerInstance;
type BlobConfigurationClass = new (...args: unknown[]) => unknown;

export interface AzuriteBlob {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  close(): Promise<void>;
}

export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  const BlobServer = (require('azurite/dist/src/blob/BlobServer.js') as { default: BlobServerClass }).default;
  const BlobConfiguration = (
    require('azurite/dist/src/blob/BlobConfiguration.js') as { default: BlobConfigurationClass }
  ).default;
  // Positional constructor: host, port (0 = any free one), keep-alive, metadata DB, extent DB,
  // persistence paths, access log, its stream, debug log, its path, loose, skipApiVersionCheck,
  // cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
  const configuration = new BlobConfiguration(
    '127.0.0.1',
    0,
    undefined,
    undefined,
    undefined,
    undefined,
    false,
    undefined,
    false,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
  );
  const server = new BlobServer(configuration);
  await server.start();
  const blobEndpoint = `${server.getHttpServerAddress()}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    async close() {
      await server.close();
      await server.clean();
    },
  };
}

export interface AzuriteTable {
  readonly connectionString: string;
  readonly tableEndpoint: string;
  close(): Promise<void>;
}

/** Real Azurite table service, in this process, in memory (the run index's tests). */
export async function startAzuriteTable(): Promise<AzuriteTable> {
  const TableServer = (require('azurite/dist/src/table/TableServer.js') as { default: BlobServerClass })
    .default;
  const TableConfiguration = (
    require('azurite/dist/src/table/TableConfiguration.js') as { default: BlobConfigurationClass }
  ).default;
  // Positional constructor: host, port (0 = any free one), keep-alive, metadata DB path, debug
  // log, access log, its stream, debug log path, loose, skipApiVersionCheck, cert, key, pwd,
  // oauth, disableProductStyleUrl, isMemoryPersistence.
  const configuration = new TableConfiguration(
    '127.0.0.1',
    0,
    undefined,
    undefined,
    false,
    false,
    undefined,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
  );
  const server = new TableServer(configuration);
  await server.start();
  const tableEndpoint = `${server.getHttpServerAddress()}/${AZURITE_ACCOUNT}`;
  return {
    tableEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableEndpoint};`,
    async close() {
      await server.close();
      await server.clean();
    },
  };
}

/** Blob and table services together, one connection string naming both (what the app is given). */
export async function startAzuriteBlobAndTable(): Promise<AzuriteBlob & { readonly tableEndpoint: string }> {
  const [blob, table] = await Promise.all([startAzuriteBlob(), startAzuriteTable()]);
  return {
    blobEndpoint: blob.blobEndpoint,
    tableEndpoint: table.tableEndpoint,
    connectionString: `${blob.connectionString}TableEndpoint=${table.tableEndpoint};`,
    async close() {
      await Promise.all([blob.close(), table.close()]);
    },
  };
}
