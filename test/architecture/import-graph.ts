import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The static import graph of src/: every `import … from './x.js'` / `export … from './x.js'` /
 * `import './x.js'` / `import('./x.js')` of a .ts file under src/ (type imports included), resolved to
 * paths relative to the repository root (`src/pipeline/process-pair.ts`).
 */
export interface ImportGraph {
  readonly files: readonly string[];
  readonly edges: ReadonlyMap<string, readonly string[]>;
}

const FROM_CLAUSE = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function listTsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listTsFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

export function readImportGraph(root: string): ImportGraph {
  const files = listTsFiles(join(root, 'src'))
    .map((f) => relative(root, f))
    .sort();
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets = new Set<string>();
    for (const pattern of [FROM_CLAUSE, BARE_IMPORT, DYNAMIC_IMPORT]) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1] ?? '';
        if (!specifier.startsWith('.')) continue;
        const target = relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts');
        targets.add(target);
      }
    }
    edges.set(file, [...targets].sort());
  }
  return { files, edges };
}

/** The folder of a src/ file: `src/pipeline/x.ts` → `pipeline`, `src/api/routes/x.ts` → `api`. */
export function folderOf(file: string): string {
  return file.split('/')[1] ?? '';
}

/** Pairs of src/ folders that import each other, each as `a ↔ b` (a < b), with one example edge each way. */
export function findFolderLoops(graph: ImportGraph): { pair: string; examples: string[] }[] {
  const byPair = new Map<string, string>();
  for (const [from, targets] of graph.edges) {
    for (const to of targets) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a !== b && !byPair.has(`${a}>${b}`)) byPair.set(`${a}>${b}`, `${from} → ${to}`);
    }
  }
  const loops: { pair: string; examples: string[] }[] = [];
  for (const [key, example] of byPair) {
    const [a = '', b = ''] = key.split('>');
    const back = byPair.get(`${b}>${a}`);
    if (a < b && back !== undefined) loops.push({ pair: `${a} ↔ ${b}`, examples: [example, back] });
  }
  return loops.sort((x, y) => x.pair.localeCompare(y.pair));
}

/** Module-level cycles: each strongly connected component of more than one file (or a file importing itself). */
export function findModuleCycles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components (recursive: src/'s import chains are a few dozen deep at most).
  let index = 0;
  const indexOf = new Map<string, number>();
  const lowOf = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    lowOf.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.edges.get(node) ?? []) {
      if (!graph.edges.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        lowOf.set(node, Math.min(lowOf.get(node) ?? 0, lowOf.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowOf.set(node, Math.min(lowOf.get(node) ?? 0, indexOf.get(next) ?? 0));
      }
    }
    if (lowOf.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.edges.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const file of graph.files) if (!indexOf.has(file)) visit(file);
  return components;
}

/** Files outside src/cli/ and src/simulator/ that import src/simulator/. */
export function findSimulatorImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph.edges) {
    const folder = folderOf(from);
    if (folder === 'cli' || folder === 'simulator') continue;
    for (const to of targets) if (folderOf(to) === 'simulator') found.push(`${from} → ${to}`);
  }
  return found.sort();
}
