import type { PairResult } from '../results/pair-result.js';
import type { ResultStore } from '../results/result-store.js';
import { findPairs } from './find-pairs.js';

/** Why a pair needs an operator: it failed, its portal needs new credentials, or it may hold a duplicate app. */
export type AttentionReason = 'failed' | 'needs_reauth' | 'may_duplicate';

export function attentionReasons(result: PairResult): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (result.state === 'failed') reasons.push('failed');
  if (result.state === 'needs_reauth') reasons.push('needs_reauth');
  if (result.ambiguousAttempts > 0) reasons.push('may_duplicate');
  return reasons;
}

/**
 * Pairs an operator has to look at: failed, parked (`needs_reauth`), or possibly holding a duplicate app
 * (ambiguousAttempts > 0, whatever the state: a register call got no answer and may have created an app).
 */
export async function findAttentionPairs(
  results: ResultStore,
  filter: { portal?: string; code?: string } = {},
): Promise<PairResult[]> {
  return await findPairs(results, { ...filter, where: (r) => attentionReasons(r).length > 0 });
}
