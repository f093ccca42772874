import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { benchChildEnv } from './bench-child-env.js';
import { BenchTimeoutError } from './wait-until.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

export interface CliProcess {
  readonly pid: number;
  output(): string;
  /** SIGTERM (what is in flight finishes), SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Runs one `imbot-rollout <args>` command as its own OS process with the benchmark's config (a ROLLOUT_CONFIG
 * file, as an operator would) and resolves once `ready(output)` gives a value, within 30 s. `entry`: a compiled
 * dist/cli/main.js (as the Docker image runs it); by default the TypeScript sources through tsx (about 40 MB more
 * RSS for the compiler).
 */
export async function spawnCliProcess<T>(
  config: Config,
  args: readonly string[],
  ready: (output: string) => T | undefined,
  entry?: string,
): Promise<CliProcess & { ready: T }> {
  const dir = mkdtempSync(join(tmpdir(), `imbot-bench-${args[0] ?? 'cli'}-`));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    [...(entry ? [entry] : ['--import', 'tsx', CLI]), ...args],
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
  for (;;) {
    const value = ready(output);
    if (value !== undefined) return { pid: child.pid ?? 0, output: () => output, stop, ready: value };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new BenchTimeoutError(`imbot-rollout ${args[0]} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
