import type { PairState } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';

export interface ProgressCounts {
  total: number;
  registered: number;
  failed: number;
  needsReauth: number;
  unregistered: number;
  pending: number;
}

/** Counts the states of the given pairs (the pairs of one rollout), reading them in pipelined chunks. */
export async function progressCounts(
  results: ResultStore,
  pairs: readonly { domain: string; code: string }[],
): Promise<ProgressCounts> {
  const counts: ProgressCounts = {
    total: pairs.length,
    registered: 0,
    failed: 0,
    needsReauth: 0,
    unregistered: 0,
    pending: 0,
  };
  const chunk = 2_000;
  for (let i = 0; i < pairs.length; i += chunk) {
    for (const result of await results.statesOf(pairs.slice(i, i + chunk))) {
      const state: PairState = result?.state ?? 'pending';
      if (state === 'registered') counts.registered++;
      else if (state === 'failed') counts.failed++;
      else if (state === 'needs_reauth') counts.needsReauth++;
      else if (state === 'unregistered') counts.unregistered++;
      else counts.pending++;
    }
  }
  return counts;
}

/** Settled: nothing is pending any more (registered, failed, parked for re-authorisation or unregistered). */
export function isSettled(counts: ProgressCounts): boolean {
  return counts.pending === 0;
}

/** Progress counts from pairs per state (e.g. results.countsForRollout). */
export function toProgressCounts(states: Record<PairState, number>): ProgressCounts {
  return {
    total: Object.values(states).reduce((sum, n) => sum + n, 0),
    registered: states.registered,
    failed: states.failed,
    needsReauth: states.needs_reauth,
    unregistered: states.unregistered,
    pending: states.pending,
  };
}

/**
 * The progress of one rollout from its per-rollout counters (results.countsForRollout): one read, whatever the
 * number of pairs. Pairs a later rollout took over count there, not here.
 */
export async function rolloutProgressCounts(
  results: ResultStore,
  rolloutId: string,
): Promise<ProgressCounts> {
  return toProgressCounts(await results.countsForRollout(rolloutId));
}
