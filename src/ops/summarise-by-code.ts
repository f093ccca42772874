import { PAIR_STATES } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';
import { noPairCounts, type PairCounts } from './pair-counts.js';
import { sanitiseText } from './sanitise-text.js';

/**
 * The end of `rollout --wait`: the rollout's pairs by state, per app CODE and in total, in a few lines instead of
 * a pointer to a `status` table of every pair. Reads the pairs' states in pipelined chunks of 2,000.
 */
export async function summariseByCode(
  results: ResultStore,
  pairs: readonly { domain: string; code: string }[],
): Promise<string[]> {
  const byCode = new Map<string, PairCounts>();
  const total = noPairCounts();
  for (let i = 0; i < pairs.length; i += 2_000) {
    const chunk = pairs.slice(i, i + 2_000);
    const states = await results.statesOf(chunk);
    chunk.forEach((pair, at) => {
      const state = states[at]?.state ?? 'pending';
      const counts = byCode.get(pair.code) ?? noPairCounts();
      counts[state]++;
      counts.total++;
      total[state]++;
      total.total++;
      byCode.set(pair.code, counts);
    });
  }
  const line = (label: string, counts: PairCounts) =>
    sanitiseText(
      `${label}: ${
        PAIR_STATES.filter((s) => counts[s] > 0)
          .map((s) => `${counts[s]} ${s}`)
          .join(', ') || 'no pairs'
      }`,
    );
  return [
    ...[...byCode].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, counts]) => `  ${line(code, counts)}`),
    `  ${line('total', total)}`,
  ];
}
