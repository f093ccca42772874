import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI_ENTRY = join(import.meta.dirname, '../../src/cli/main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run under way: its output so far, and its end. */
export interface StartedCli {
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

/**
 * Runs `imbot-rollout <args>` as a child process, as an operator would, without blocking this process (tests
 * keep the simulator and workers in-process: a synchronous spawn would freeze them). Logs are silent unless
 * `env` says otherwise; the child is killed after `timeoutMs`.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  return await startCli(args, env, timeoutMs).done;
}

/** runCli, with the output readable while the command runs (to wait for what it prints). */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): StartedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c))).then(
    (code) => {
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
  );
  return { stdout: () => stdout, stderr: () => stderr, done };
}
