// Build step (`npm run build`, after tsc has compiled src/dashboard/*.ts into dist/dashboard): the
// page's non-TypeScript files and uPlot's browser build go beside the compiled modules, so the
// deployment package serves everything from dist/dashboard and the page loads nothing from the
// internet. uPlot is copied from node_modules (the `uplot` dependency), not fetched.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** [from (repository-relative), to (a name in dist/dashboard)]. */
export const DASHBOARD_COPIES: readonly (readonly [string, string])[] = [
  ['src/dashboard/index.html', 'index.html'],
  ['src/dashboard/dashboard.css', 'dashboard.css'],
  ['node_modules/uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['node_modules/uplot/dist/uPlot.min.css', 'uPlot.min.css'],
];

export function copyDashboardAssets(root = ROOT): string[] {
  const out = path.join(root, 'dist', 'dashboard');
  mkdirSync(out, { recursive: true });
  return DASHBOARD_COPIES.map(([from, to]) => {
    copyFileSync(path.join(root, from), path.join(out, to));
    return to;
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`dashboard: copied ${copyDashboardAssets().join(', ')} into dist/dashboard`);
}
