import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { benchChildEnv } from './bench-child-env.js';
import { BenchTimeoutError } from './wait-until.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const LISTENING = /api: listening on (http:\/\/[^\s]+) /;

export interface ApiProcess {
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  output(): string;
  /** SIGTERM, SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Runs `imbot-rollout serve --host 127.0.0.1 --port 0` as its own OS process with the benchmark's config (as an
 * operator runs the dashboard next to the workers) and resolves once it listens. No token: loopback only.
 * `entry`: a compiled dist/cli/main.js; by default the sources through tsx.
 */
export async function spawnApiProcess(config: Config, entry?: string): Promise<ApiProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'imbot-bench-api-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    [...(entry ? [entry] : ['--import', 'tsx', CLI]), 'serve', '--host', '127.0.0.1', '--port', '0'],
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
    const url = LISTENING.exec(output)?.[1];
    if (url) return { pid: child.pid ?? 0, url, output: () => output, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new BenchTimeoutError(`the API process did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
