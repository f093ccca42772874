import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findFolderLoops,
  findModuleCycles,
  findSimulatorImports,
  type ImportGraph,
  readImportGraph,
} from './import-graph.js';

/**
 * Imports run one way (DEVELOPERS.md, docs/architecture.md): no module cycle, no two folders of src/ importing
 * each other, and nothing outside src/cli/ imports the simulator. A loop that cannot be broken yet goes in the
 * lists below with a one-line reason; there is none today.
 */
const KNOWN_FOLDER_LOOPS: readonly { pair: string; reason: string }[] = [];
const KNOWN_MODULE_CYCLES: readonly { files: readonly string[]; reason: string }[] = [];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function graphOf(edges: Record<string, string[]>): ImportGraph {
  return { files: Object.keys(edges).sort(), edges: new Map(Object.entries(edges)) };
}

describe('imports of src/ run one way', () => {
  const graph = readImportGraph(ROOT);

  it('reads the imports of every module of src/', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.edges.get('src/pipeline/create-rollout-worker.ts')).toContain(
      'src/pipeline/process-pair.ts',
    );
  });

  it('has no two folders of src/ importing each other', () => {
    const known = new Set(KNOWN_FOLDER_LOOPS.map((loop) => loop.pair));
    expect(findFolderLoops(graph).filter((loop) => !known.has(loop.pair))).toEqual([]);
  });

  it('has no module import cycle', () => {
    const known = new Set(KNOWN_MODULE_CYCLES.map((cycle) => cycle.files.join(' ')));
    expect(findModuleCycles(graph).filter((cycle) => !known.has(cycle.join(' ')))).toEqual([]);
  });

  it('has no module outside src/cli/ and src/simulator/ importing src/simulator/', () => {
    expect(findSimulatorImports(graph)).toEqual([]);
  });

  it('imports processPair only from the worker', () => {
    const importers = [...graph.edges]
      .filter(([, targets]) => targets.includes('src/pipeline/process-pair.ts'))
      .map(([from]) => from);
    expect(importers).toEqual(['src/pipeline/create-rollout-worker.ts']);
  });
});

describe('the import analysis', () => {
  it('finds a folder pair importing both ways, with one import each way', () => {
    const loops = findFolderLoops(
      graphOf({
        'src/a/one.ts': ['src/b/two.ts'],
        'src/b/two.ts': [],
        'src/b/three.ts': ['src/a/four.ts'],
        'src/a/four.ts': [],
        'src/c/five.ts': ['src/a/one.ts'],
      }),
    );
    expect(loops).toEqual([
      { pair: 'a ↔ b', examples: ['src/a/one.ts → src/b/two.ts', 'src/b/three.ts → src/a/four.ts'] },
    ]);
  });

  it('finds module cycles of two or more files and a file importing itself, not a diamond', () => {
    const cycles = findModuleCycles(
      graphOf({
        'src/a/one.ts': ['src/a/two.ts'],
        'src/a/two.ts': ['src/a/three.ts'],
        'src/a/three.ts': ['src/a/one.ts'],
        'src/b/self.ts': ['src/b/self.ts'],
        'src/c/top.ts': ['src/c/left.ts', 'src/c/right.ts'],
        'src/c/left.ts': ['src/c/bottom.ts'],
        'src/c/right.ts': ['src/c/bottom.ts'],
        'src/c/bottom.ts': [],
      }),
    );
    expect(cycles.map((cycle) => cycle.join(' ')).sort()).toEqual([
      'src/a/one.ts src/a/three.ts src/a/two.ts',
      'src/b/self.ts',
    ]);
  });

  it('finds production imports of the simulator, not those of the CLI or the simulator itself', () => {
    const found = findSimulatorImports(
      graphOf({
        'src/api/route.ts': ['src/simulator/parse.ts'],
        'src/cli/demo.ts': ['src/simulator/start.ts'],
        'src/simulator/start.ts': ['src/simulator/parse.ts'],
        'src/simulator/parse.ts': [],
      }),
    );
    expect(found).toEqual(['src/api/route.ts → src/simulator/parse.ts']);
  });

  it('reads type, multi-line, re-export, bare and dynamic imports and resolves them to .ts paths', () => {
    const root = mkdtempSync(join(tmpdir(), 'import-graph-'));
    try {
      mkdirSync(join(root, 'src', 'a'), { recursive: true });
      mkdirSync(join(root, 'src', 'b'), { recursive: true });
      writeFileSync(
        join(root, 'src', 'a', 'one.ts'),
        [
          "import type { T } from '../b/types.js';",
          'import {',
          '  x,',
          '  y,',
          "} from './two.js';",
          "export { z } from '../b/z.js';",
          "import './side-effect.js';",
          "const later = () => import('../b/late.js');",
          "import { z as zod } from 'zod';",
          'const text = \'from "./not-an-import.js"\';',
        ].join('\n'),
      );
      const read = readImportGraph(root);
      expect(read.files).toEqual(['src/a/one.ts']);
      expect(read.edges.get('src/a/one.ts')).toEqual([
        'src/a/side-effect.ts',
        'src/a/two.ts',
        'src/b/late.ts',
        'src/b/types.ts',
        'src/b/z.ts',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
