import { type StatusRow, toStatusRow } from '../ops/status-row.js';
import type { AttemptRecord, PairResult } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';

/** Why a pair needs a person: it failed, or it is parked (portal needs re-authorisation). */
export const ATTENTION_REASONS = ['failed', 'parked'] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

export interface AttentionPair extends StatusRow {
  reasons: AttentionReason[];
  /** The most recent attempts, newest first. */
  history: AttemptRecord[];
}

export interface Attention {
  /** Pairs per reason. */
  counts: Record<AttentionReason, number>;
  /** Pairs that need attention (each counted once). */
  total: number;
  limit: number;
  pairs: AttentionPair[];
}

function reasonsOf(result: PairResult): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (result.state === 'failed') reasons.push('failed');
  if (result.state === 'needs_reauth') reasons.push('parked');
  return reasons;
}

/**
 * Failed and parked pairs, each with its latest attempts. `only` keeps the pairs with that reason. Order: failed
 * first, then parked; the most recently changed first within each. Counts come from the state counters and the
 * page from the attention index (results.listAttention), so the cost follows `limit`, not the number of pairs.
 */
export async function readAttention(
  results: ResultStore,
  options: { limit: number; historyLimit: number; only?: AttentionReason | undefined },
): Promise<Attention> {
  const [states, page] = await Promise.all([
    results.countsByState(),
    results.listAttention({
      limit: options.limit,
      ...(options.only ? { only: options.only === 'failed' ? 'failed' : 'needs_reauth' } : {}),
    }),
  ]);
  const counts: Record<AttentionReason, number> = { failed: states.failed, parked: states.needs_reauth };
  const [found, histories] = await Promise.all([
    results.getMany(page.pairs),
    Promise.all(page.pairs.map((p) => results.history(p.domain, p.code, options.historyLimit))),
  ]);
  const pairs: AttentionPair[] = [];
  for (const [i, result] of found.entries()) {
    // A pair that moved on between the index read and this one (retried, settled) is left out of the page.
    const reasons = result ? reasonsOf(result) : [];
    if (!result || reasons.length === 0) continue;
    pairs.push({ ...toStatusRow(result), reasons, history: histories[i] ?? [] });
  }
  return { counts, total: page.total, limit: options.limit, pairs };
}
