// The dashboard's files from the folder `npm run build` fills (dist/dashboard: the page, its ES
// modules, its styles and uPlot copied from node_modules). Read once per process: they change only
// with a deployment. Only plain names of the types below are served, so no request reaches a file
// outside the folder (no `..`, no sub-folders, no source maps).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { StaticAsset, StaticAssetSource } from '../domain/ports.js';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** One path segment: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export class FolderAssets implements StaticAssetSource {
  private files: Promise<Map<string, StaticAsset>> | undefined;

  constructor(private readonly folder: string) {}

  async get(name: string): Promise<StaticAsset | undefined> {
    if (!ASSET_NAME.test(name)) return undefined;
    return (await this.load()).get(name);
  }

  private load(): Promise<Map<string, StaticAsset>> {
    const files = (this.files ??= this.read());
    // nothing built yet, or a read error: read again on the next request
    const forget = () => {
      if (this.files === files) this.files = undefined;
    };
    files.then((found) => found.size === 0 && forget(), forget);
    return files;
  }

  private async read(): Promise<Map<string, StaticAsset>> {
    const files = new Map<string, StaticAsset>();
    const entries = await readdir(this.folder, { withFileTypes: true }).catch((error: unknown) => {
      // not built (`npm run build` makes it): no files, and the page's 404 says so
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const contentType = CONTENT_TYPES[path.extname(entry.name)];
      if (!entry.isFile() || contentType === undefined || !ASSET_NAME.test(entry.name)) continue;
      files.set(entry.name, { body: await readFile(path.join(this.folder, entry.name)), contentType });
    }
    return files;
  }
}
