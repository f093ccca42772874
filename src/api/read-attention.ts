import { findPairs } from '../ops/find-pairs.js';
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

/** Order: failed first, then parked; the most recently changed first within each. */
function rank(reasons: readonly AttentionReason[]): number {
  return reasons.includes('failed') ? 0 : 1;
}

/** Failed and parked pairs, each with its latest attempts. `only` keeps the pairs with that reason. */
export async function readAttention(
  results: ResultStore,
  options: { limit: number; historyLimit: number; only?: AttentionReason | undefined },
): Promise<Attention> {
  const counts: Record<AttentionReason, number> = { failed: 0, parked: 0 };
  const selected: { result: PairResult; reasons: AttentionReason[] }[] = [];
  for (const result of await findPairs(results)) {
    const reasons = reasonsOf(result);
    if (reasons.length === 0) continue;
    for (const reason of reasons) counts[reason]++;
    if (options.only && !reasons.includes(options.only)) continue;
    selected.push({ result, reasons });
  }
  selected.sort((a, b) => rank(a.reasons) - rank(b.reasons) || b.result.updatedAt - a.result.updatedAt);
  const page = selected.slice(0, options.limit);
  const histories = await Promise.all(page.map(({ result }) => results.history(result.portal, result.code)));
  return {
    counts,
    total: selected.length,
    limit: options.limit,
    pairs: page.map(({ result, reasons }, i) => ({
      ...toStatusRow(result),
      reasons,
      history: (histories[i] ?? []).slice(0, options.historyLimit),
    })),
  };
}
