import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.js';
import { spawnCli } from '../../test/support/run-cli.js';
import { waitFor } from '../../test/support/wait-for.js';

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
  const cli = spawnCli(
    args,
    { ROLLOUT_CONFIG: configFile, LOG_LEVEL: 'warn' },
    entry === undefined ? {} : { entry },
  );
  const stop = async () => {
    await cli.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const value = await waitFor(
      () => {
        if (!cli.alive()) throw new Error(`exited:\n${cli.output()}`);
        return ready(cli.output()) ?? false;
      },
      { message: `imbot-rollout ${args[0]} to start`, timeoutMs: 30_000, intervalMs: 50 },
    );
    return { pid: cli.pid, output: cli.output, stop, ready: value as T };
  } catch (error) {
    await stop();
    throw error;
  }
}
