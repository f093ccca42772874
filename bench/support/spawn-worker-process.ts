import type { Config } from '../../src/config/config-schema.js';
import { type CliProcess, spawnCliProcess } from './spawn-cli-process.js';

export type WorkerProcess = CliProcess;

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
  const worker = await spawnCliProcess(
    config,
    ['worker', '--concurrency', String(concurrency)],
    (output) => (output.includes('worker: started') ? true : undefined),
    entry,
  );
  return { pid: worker.pid, output: worker.output, stop: worker.stop };
}
