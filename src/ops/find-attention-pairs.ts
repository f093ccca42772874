import type { PairResult } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';
import { findPairs } from './find-pairs.js';

/** Why a pair needs an operator: it failed, or its portal needs new credentials. */
export type AttentionReason = 'failed' | 'needs_reauth';

export function attentionReasons(result: PairResult): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (result.state === 'failed') reasons.push('failed');
  if (result.state === 'needs_reauth') reasons.push('needs_reauth');
  return reasons;
}

/**
 * Pairs an operator has to look at: failed, or parked (`needs_reauth`), in pair order. Read from the per-state
 * index: the cost follows the pairs needing attention, not all pairs.
 */
export async function findAttentionPairs(
  results: ResultStore,
  filter: { portal?: string; code?: string } = {},
): Promise<PairResult[]> {
  return await findPairs(results, { ...filter, states: ['failed', 'needs_reauth'] });
}
