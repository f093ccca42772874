import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const STATIC_IMPORT = /^\s*import\s+([^;'"]*?)\s+from\s*['"](?:node:)?child_process['"]/gm;
const DYNAMIC_IMPORT = /\b(?:import|require)\(\s*['"](?:node:)?child_process['"]\s*\)/g;

/**
 * What a module's source takes from node:child_process that can start a process: the named values it imports
 * (`spawn`, `fork`, `execFile`, …), `* as x` or a default import as `x`, and `import(…)`/`require(…)` as such.
 * Type-only imports (`import type { ChildProcess }`, `{ type ChildProcess }`) start nothing and are left out.
 */
export function childProcessImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) {
    const clause = (match[1] ?? '').trim();
    if (clause.startsWith('type ')) continue;
    const named = /\{([^}]*)\}/.exec(clause);
    const outside = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/,/g, ' ')
      .trim();
    if (outside !== '') found.push(outside);
    for (const specifier of (named?.[1] ?? '').split(',')) {
      const name = specifier.trim();
      if (name !== '' && !name.startsWith('type ')) found.push(name);
    }
  }
  for (const match of source.matchAll(DYNAMIC_IMPORT)) found.push(match[0]);
  return found;
}

/** The .ts/.js modules under `folders` of `root` (relative to `root`), without node_modules and results. */
export function listModules(root: string, folders: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'results') walk(path);
      } else if (/\.[cm]?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        found.push(relative(root, path));
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return found.sort();
}

/** Each module under `folders` that imports something from node:child_process that can start a process. */
export function findChildProcessImports(
  root: string,
  folders: readonly string[],
): { file: string; imports: string[] }[] {
  return listModules(root, folders)
    .map((file) => ({ file, imports: childProcessImports(readFileSync(join(root, file), 'utf8')) }))
    .filter((entry) => entry.imports.length > 0);
}
