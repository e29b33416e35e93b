// The restart test runs the host in a child process (a host per process, and SIGKILL must hit a real
// process). Node 20 cannot run TypeScript, so transpile dev/host to JS (no type check: tsc does that).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from './fixture.js';

export function compileHost(): string {
  // Under the repo so the output resolves packages from the repo's node_modules.
  const outRoot = path.join(repoRoot, '.autopilot', 'test-build', `${process.pid}-${Date.now()}`);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const out = ts.transpileModule(readFileSync(full, 'utf8'), {
          compilerOptions: {
            module: ts.ModuleKind.ESNext,
            target: ts.ScriptTarget.ES2022,
            verbatimModuleSyntax: true,
          },
          fileName: full,
        });
        const target = path.join(outRoot, path.relative(repoRoot, full)).replace(/\.ts$/, '.js');
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, out.outputText);
      }
    }
  };
  walk(path.join(repoRoot, 'dev', 'host'));
  return path.join(outRoot, 'dev', 'host', 'cli.js');
}
