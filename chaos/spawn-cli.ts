import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../src/cli/main.ts');
/** Output kept per process: enough for the last error lines, bounded for long runs. */
const MAX_OUTPUT_CHARS = 200_000;

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  /** stdout and stderr interleaved as they arrived (the tail, at most MAX_OUTPUT_CHARS). */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the process has exited. */
  alive(): boolean;
}

/**
 * Runs `imbot-rollout <args>` as a separate OS process (`node --import tsx src/cli/main.ts`), as an operator
 * would, with the config file in `ROLLOUT_CONFIG`. Never blocks this process: the simulator lives here.
 */
export function spawnCli(args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start imbot-rollout ${args.join(' ')}`);
  let stdout = '';
  let output = '';
  const keep = (text: string) => {
    output = (output + text).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    keep(d.toString());
  });
  child.stderr?.on('data', (d: Buffer) => keep(d.toString()));
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running = false;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid,
    stdout: () => stdout,
    output: () => output,
    exited,
    alive: () => running,
  };
}

/** Runs a CLI command to its end (killed after `timeoutMs`); returns its exit code and output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; output: string }> {
  const cli = spawnCli(args, env);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  const { code } = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), output: cli.output() };
}
