import { setTimeout as delay } from 'node:timers/promises';
import { isSettled, type ProgressCounts, progressCounts } from '../ops/progress-counts.js';
import { createProgressReporter } from '../ops/progress-reporter.js';
import type { ResultStore } from '../results/result-store.js';

/** Polls the pairs of a rollout until none is pending, showing progress; returns the final counts. */
export async function waitForRollout(
  results: ResultStore,
  pairs: readonly { domain: string; code: string }[],
  options: { intervalMs?: number; stream?: NodeJS.WriteStream; signal?: AbortSignal } = {},
): Promise<ProgressCounts> {
  const reporter = createProgressReporter({ stream: options.stream ?? process.stderr });
  for (;;) {
    const counts = await progressCounts(results, pairs);
    if (isSettled(counts) || options.signal?.aborted) {
      reporter.finish(counts);
      return counts;
    }
    reporter.update(counts);
    await delay(options.intervalMs ?? 500);
  }
}
