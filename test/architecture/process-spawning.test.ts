import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { childProcessImports, findChildProcessImports } from './child-process-imports.js';

/**
 * One way to start a process in test/, chaos/ and bench/ (DEVELOPERS.md): spawnCli (test/support/run-cli.ts), with
 * childEnv and one stop; forkFixture (test/support/fork-fixture.ts) builds on it for an IPC channel. The one other
 * spawner runs the TypeScript compiler for the benchmarks, not a CLI or a fixture.
 */
const ALLOWED: Readonly<Record<string, string>> = {
  'test/support/run-cli.ts': 'the one spawner: spawnCli',
  'bench/support/build-dist.ts': 'runs tsc to build dist/ (npm run build), not a CLI or a fixture',
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('processes in test/, chaos/ and bench/ start in one place', () => {
  const found = findChildProcessImports(ROOT, ['test', 'chaos', 'bench']);

  it('has no module but the shared spawner importing spawn, fork or exec from node:child_process', () => {
    expect(found.filter((entry) => !(entry.file in ALLOWED))).toEqual([]);
  });

  it('lists only modules that still spawn (an allowance no longer needed is removed)', () => {
    expect(found.map((entry) => entry.file).sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});

describe('the child_process import check', () => {
  // Spelled apart so that this file's own source does not import it.
  const CP = ['child', 'process'].join('_');

  it('finds named, namespace, default, dynamic and require imports', () => {
    expect(childProcessImports(`import { spawn } from 'node:${CP}';`)).toEqual(['spawn']);
    expect(childProcessImports(`import { type ChildProcess, fork, execFile } from '${CP}';`)).toEqual([
      'fork',
      'execFile',
    ]);
    expect(childProcessImports(`import * as cp from 'node:${CP}';`)).toEqual(['* as cp']);
    expect(childProcessImports(`import cp from 'node:${CP}';`)).toEqual(['cp']);
    expect(childProcessImports(`const cp = await import('node:${CP}');`)).toEqual([`import('node:${CP}')`]);
    expect(childProcessImports(`const cp = require('${CP}');`)).toEqual([`require('${CP}')`]);
    expect(childProcessImports(`import {\n  type ChildProcess,\n  spawn,\n} from 'node:${CP}';`)).toEqual([
      'spawn',
    ]);
  });

  it('leaves type-only imports and other modules alone', () => {
    expect(childProcessImports(`import type { ChildProcess } from 'node:${CP}';`)).toEqual([]);
    expect(childProcessImports(`import { type ChildProcess } from 'node:${CP}';`)).toEqual([]);
    expect(childProcessImports("import { spawnCli } from '../support/run-cli.js';")).toEqual([]);
  });
});
