import { PAIR_STATES, type PairState } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';

/**
 * Pairs by state, keyed by the pair state names (docs/operations.md, "Pair states"), and their total: the one
 * shape of counts that the CLI, the API, the dashboard and the wave controller use.
 */
export type PairCounts = { total: number } & Record<PairState, number>;

/** Counts from pairs per state (`results.countsByState()`, `results.countsForRollout(id)`): adds the total. */
export function pairCountsOf(states: Record<PairState, number>): PairCounts {
  const counts = { total: 0 } as PairCounts;
  for (const state of PAIR_STATES) {
    counts[state] = states[state];
    counts.total += states[state];
  }
  return counts;
}

/** Every state at 0. */
export function noPairCounts(): PairCounts {
  const counts = { total: 0 } as PairCounts;
  for (const state of PAIR_STATES) counts[state] = 0;
  return counts;
}

/** Counts the states of the given pairs (a missing result is pending), reading them in pipelined chunks. */
export async function countPairs(
  results: ResultStore,
  pairs: readonly { domain: string; code: string }[],
): Promise<PairCounts> {
  const counts = noPairCounts();
  const chunk = 2_000;
  for (let i = 0; i < pairs.length; i += chunk) {
    for (const result of await results.statesOf(pairs.slice(i, i + chunk))) {
      counts[result?.state ?? 'pending']++;
      counts.total++;
    }
  }
  return counts;
}

/** Settled: nothing is pending any more (registered, failed, parked for re-authorisation or unregistered). */
export function isSettled(counts: Pick<PairCounts, 'pending'>): boolean {
  return counts.pending === 0;
}

/** Pairs that need an operator: failed plus parked for re-authorisation (needs_reauth). */
export function needingOperator(counts: Pick<PairCounts, 'failed' | 'needs_reauth'>): number {
  return counts.failed + counts.needs_reauth;
}
