import { setTimeout as delay } from 'node:timers/promises';
import { countPairs, isSettled, type PairCounts, pairCountsOf } from '../ops/pair-counts.js';
import { createProgressReporter } from '../ops/progress-reporter.js';
import { QUEUE_PAUSED_HINT } from '../ops/queue-paused-hint.js';
import type { ResultStore } from '../store/result-store.js';

/**
 * Polls the pairs of a rollout until none is pending, showing progress; returns the final counts. With
 * `isPaused`, a paused queue is said at once (with how to resume) and marked on every progress line. With
 * `rolloutId` (the rollout that asked for `pairs`), each poll reads that rollout's counters (one read) instead of
 * every pair's state.
 */
export async function waitForRollout(
  results: ResultStore,
  pairs: readonly { domain: string; code: string }[],
  options: {
    intervalMs?: number;
    stream?: NodeJS.WriteStream;
    signal?: AbortSignal;
    isPaused?: () => Promise<boolean>;
    rolloutId?: string;
    /** Pairs that needed no work (the producer's `unchanged`): left out of the progress (createProgressReporter). */
    unchanged?: number;
  } = {},
): Promise<PairCounts> {
  const reporter = createProgressReporter({
    stream: options.stream ?? process.stderr,
    ...(options.unchanged === undefined ? {} : { unchanged: options.unchanged }),
  });
  let wasPaused = false;
  for (;;) {
    const counts =
      options.rolloutId === undefined
        ? await countPairs(results, pairs)
        : pairCountsOf(await results.countsForRollout(options.rolloutId));
    if (isSettled(counts) || options.signal?.aborted) {
      reporter.finish(counts);
      return counts;
    }
    const paused = (await options.isPaused?.()) ?? false;
    if (paused !== wasPaused)
      reporter.notice(paused ? `note: ${QUEUE_PAUSED_HINT}` : 'note: the queue was resumed; work goes on');
    wasPaused = paused;
    reporter.update(counts, paused);
    await delay(options.intervalMs ?? 500);
  }
}
