import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { benchChildEnv } from './bench-child-env.js';
import { BenchTimeoutError } from './wait-until.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

export interface WorkerProcess {
  readonly pid: number;
  output(): string;
  /** SIGTERM (jobs in flight finish), SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Runs `imbot-rollout worker` as its own OS process with the benchmark's config (ROLLOUT_CONFIG file), as an
 * operator would, and resolves once it printed that it started. `entry`: a compiled dist/cli/main.js (as the
 * Docker image runs it); by default the TypeScript sources through tsx (about 40 MB more RSS for the compiler).
 */
export async function spawnWorkerProcess(
  config: Config,
  concurrency: number,
  entry?: string,
): Promise<WorkerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'imbot-bench-worker-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    [...(entry ? [entry] : ['--import', 'tsx', CLI]), 'worker', '--concurrency', String(concurrency)],
    {
      env: benchChildEnv({ ROLLOUT_CONFIG: configFile, LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const append = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!output.includes('worker: started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new BenchTimeoutError(`the worker process did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid ?? 0, output: () => output, stop };
}
