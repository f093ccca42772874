import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { childEnv } from './child-env.js';

/** The CLI's TypeScript entry, run through tsx. */
export const CLI_ENTRY = join(import.meta.dirname, '../../src/cli/main.ts');

/** Interleaved output kept per process: enough for the last error lines, bounded for long runs. */
const MAX_OUTPUT_CHARS = 200_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived (the tail). */
  output: string;
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by spawnCli. */
export interface CliProcess {
  /** The node process handle; `child.stdin` is null unless started with `stdin: true`. */
  readonly child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived (the tail, at most 200,000 characters). */
  output(): string;
  readonly exited: Promise<CliExit>;
  /** True until the process has exited. */
  alive(): boolean;
  /** SIGTERM (what is in flight finishes), SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<CliExit>;
}

/** A CLI run under way: its output so far, and its end. */
export interface StartedCli {
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

export interface SpawnCliOptions {
  /**
   * The script to run: by default the CLI's TypeScript sources (through tsx); a compiled dist/cli/main.js (as the
   * Docker image runs it), or a test fixture (`.ts`, through tsx).
   */
  entry?: string;
  /** True: the child's stdin is a pipe the caller writes to (`child.stdin`); by default it is closed. */
  stdin?: boolean;
  /**
   * True: an IPC channel as `fork` opens (`child.send`, the child's `process.send`); forkFixture
   * (test/support/fork-fixture.ts) adds waiting for a message.
   */
  ipc?: boolean;
}

/**
 * Runs `imbot-rollout <args>` as its own OS process, as an operator would, without blocking this process (tests,
 * chaos and benchmarks keep the simulator in-process). The environment is this process's without the user's
 * configuration variables (childEnv), plus `env`: the child connects only where `env` says. The one spawner of
 * test/, chaos/ and bench/.
 */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string>,
  options: SpawnCliOptions = {},
): CliProcess {
  const entry = options.entry ?? CLI_ENTRY;
  const node = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const child = spawn(process.execPath, [...node, ...args], {
    env: childEnv(env),
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  });
  const { stdout: out, stderr: err } = child;
  if (child.pid === undefined || out === null || err === null) {
    throw new Error(`could not start ${entry} ${args.join(' ')}`);
  }
  let stdout = '';
  let stderr = '';
  let output = '';
  const keep = (text: string) => {
    output = (output + text).slice(-MAX_OUTPUT_CHARS);
  };
  out.on('data', (d: Buffer) => {
    stdout += d.toString();
    keep(d.toString());
  });
  err.on('data', (d: Buffer) => {
    stderr += d.toString();
    keep(d.toString());
  });
  let running = true;
  const exited = new Promise<CliExit>((resolve) =>
    child.once('close', (code, signal) => {
      running = false;
      resolve({ code, signal });
    }),
  );
  const stop = async (graceMs = 10_000): Promise<CliExit> => {
    if (running) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    return await exited;
  };
  return {
    // stdout and stderr are the pipes checked above.
    child: child as ChildProcessByStdio<Writable | null, Readable, Readable>,
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    exited,
    alive: () => running,
    stop,
  };
}

/**
 * Runs `imbot-rollout <args>` to its end (killed after `timeoutMs`) and returns its exit code and output. Logs
 * are silent unless `env` says otherwise.
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
  const cli = spawnCli(args, { LOG_LEVEL: 'silent', ...env });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  const done = cli.exited.then(({ code }) => {
    clearTimeout(timer);
    return { code, stdout: cli.stdout(), stderr: cli.stderr(), output: cli.output() };
  });
  return { stdout: cli.stdout, stderr: cli.stderr, done };
}
