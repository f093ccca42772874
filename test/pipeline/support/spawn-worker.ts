import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../src/config/config-schema.js';
import { type CliProcess, spawnCli } from '../../support/run-cli.js';
import { waitFor } from '../../support/wait-for.js';

export type WorkerProcess = CliProcess;

/** Runs `imbot-rollout worker` as a separate OS process with the test's config (as an operator would). */
export function spawnWorker(config: Config, concurrency: number): WorkerProcess {
  const dir = mkdtempSync(join(tmpdir(), 'imbot-worker-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  return spawnCli(['worker', '--concurrency', String(concurrency)], {
    ROLLOUT_CONFIG: configFile,
    LOG_LEVEL: 'warn',
  });
}

/** Waits until the worker printed that it started (its queue connection is up). */
export async function untilStarted(worker: WorkerProcess, timeoutMs = 15_000): Promise<void> {
  let exited = false;
  await waitFor(
    () => {
      if (worker.output().includes('worker: started')) return true;
      exited = exited || worker.child.exitCode !== null;
      if (exited) return true; // no use waiting on a dead process: fail below with its output
      throw new Error(`no 'worker: started' yet; output so far:\n${worker.output()}`);
    },
    { timeoutMs, intervalMs: 50, message: 'the worker to start' },
  );
  if (exited) throw new Error(`worker exited:\n${worker.output()}`);
}

/** After a test: SIGKILLs the worker processes still running and waits until every one has exited. */
export async function killWorkers(processes: readonly WorkerProcess[]): Promise<void> {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}
