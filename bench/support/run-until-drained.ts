import type { Worker } from 'bullmq';
import { BenchTimeoutError } from './bench-timeout-error.js';

export interface DrainTiming {
  /** ms from the worker's creation to its last completed job. */
  elapsedMs: number;
  completed: number;
  failed: number;
  /** CPU time (user + system) this process spent in that span, ms. */
  cpuMs: number;
}

/**
 * Starts a worker (via `start`) on a queue already holding `jobs` jobs and waits until that many have completed
 * or failed. The clock starts right before the worker is created and stops at the last job's `completed` event.
 */
export async function runUntilDrained(
  start: () => Worker,
  jobs: number,
  timeoutMs: number,
): Promise<{ timing: DrainTiming; worker: Worker }> {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const worker = start();
  let completed = 0;
  let failed = 0;
  let lastAt = startedAt;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new BenchTimeoutError(
            `only ${completed + failed} of ${jobs} jobs finished in ${timeoutMs} ms (${failed} failed)`,
          ),
        ),
      timeoutMs,
    );
    const check = () => {
      lastAt = performance.now();
      if (completed + failed >= jobs) {
        clearTimeout(timer);
        resolve();
      }
    };
    worker.on('completed', () => {
      completed++;
      check();
    });
    worker.on('failed', () => {
      failed++;
      check();
    });
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    timing: { elapsedMs: lastAt - startedAt, completed, failed, cpuMs: (cpu.user + cpu.system) / 1000 },
    worker,
  };
}
