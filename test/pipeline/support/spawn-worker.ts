import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../src/config/config-schema.js';

const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `imbot-rollout worker` as a separate OS process with the test's config (as an operator would). */
export function spawnWorker(config: Config, concurrency: number): WorkerProcess {
  const dir = mkdtempSync(join(tmpdir(), 'imbot-worker-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'worker', '--concurrency', String(concurrency)],
    {
      env: { ...process.env, ROLLOUT_CONFIG: configFile, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Waits until the worker printed that it started (its queue connection is up). */
export async function untilStarted(worker: WorkerProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!worker.output().includes('worker: started')) {
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${worker.output()}`);
    if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
