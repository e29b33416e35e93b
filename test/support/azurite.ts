// Real Azurite blob service, in this process, in memory, on a port the OS picks.
// `require('azurite')` is the VS Code extension entry, so the server class is loaded directly.
import { createRequire } from 'node:module';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../dev/azurite.js';

const require = createRequire(import.meta.url);

interface ServerInstance {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerClass = new (configuration: unknown) => ServerInstance;
type ConfigurationClass = new (...args: unknown[]) => unknown;

/**
 * One Azurite service (`blob` or `table`), in memory, started with its configuration class's
 * positional arguments: its endpoint, the connection string naming it, and close().
 */
async function startService(
  service: 'blob' | 'table',
  configurationArgs: unknown[],
): Promise<{ endpoint: string; connectionString: string; close: () => Promise<void> }> {
  const Service = service === 'blob' ? 'Blob' : 'Table';
  const Server = (require(`azurite/dist/src/${service}/${Service}Server.js`) as { default: ServerClass })
    .default;
  const Configuration = (
    require(`azurite/dist/src/${service}/${Service}Configuration.js`) as { default: ConfigurationClass }
  ).default;
  const server = new Server(new Configuration(...configurationArgs));
  await server.start();
  const endpoint = `${server.getHttpServerAddress()}/${AZURITE_ACCOUNT}`;
  return {
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};${Service}Endpoint=${endpoint};`,
    close: async () => {
      await server.close();
      await server.clean();
    },
  };
}

export interface AzuriteBlob {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  close(): Promise<void>;
}

export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  // BlobConfiguration's positional arguments: host, port (0 = any free one), keep-alive, metadata
  // DB, extent DB, persistence paths, access log, its stream, debug log, its path, loose,
  // skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
  const { endpoint, connectionString, close } = await startService('blob', [
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
  ]);
  return { blobEndpoint: endpoint, connectionString, close };
}

export interface AzuriteTable {
  readonly connectionString: string;
  readonly tableEndpoint: string;
  close(): Promise<void>;
}

/** Real Azurite table service, in this process, in memory (the run index's tests). */
export async function startAzuriteTable(): Promise<AzuriteTable> {
  // TableConfiguration's positional arguments: host, port (0 = any free one), keep-alive, metadata
  // DB path, debug log, access log, its stream, debug log path, loose, skipApiVersionCheck, cert,
  // key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
  const { endpoint, connectionString, close } = await startService('table', [
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
  ]);
  return { tableEndpoint: endpoint, connectionString, close };
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
