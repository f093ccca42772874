import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Builds dist/ as `npm run build` does (tsc -p tsconfig.build.json) and returns dist/cli/main.js, the entry the
 * Docker image runs; null when no fresh build came out (then callers fall back to running the sources with tsx).
 * A type error elsewhere in src/ does not stop tsc from emitting, so the build is judged by its output.
 */
export async function buildDist(): Promise<{ entry: string | null; seconds: number; output: string }> {
  const started = performance.now();
  const entry = join(ROOT, 'dist/cli/main.js');
  let output = '';
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seconds = (performance.now() - started) / 1000;
  const fresh = existsSync(entry) && statSync(entry).mtimeMs >= Date.now() - seconds * 1000 - 5_000;
  return { entry: fresh ? entry : null, seconds, output };
}
