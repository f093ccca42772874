import type { ResultStore } from '../store/result-store.js';
import {
  ATTENTION_REASONS,
  type AttentionCounts,
  type AttentionReason,
  type AttentionRow,
  attentionCounts,
  attentionReasons,
  toAttentionRow,
} from './attention-row.js';
import { findPairs } from './find-pairs.js';

/** One page of the pairs needing attention, as `/api/attention` answers it. */
export interface Attention {
  /** Pairs per reason (all of them, whatever `only` and `limit`). */
  counts: AttentionCounts;
  /** Pairs needing attention with the reason `only` (or any reason). */
  total: number;
  limit: number;
  pairs: AttentionRow[];
}

/**
 * One page of the pairs needing attention, each with its latest `historyLimit` attempts; `only` keeps the pairs
 * with that reason. Order: failed first, then needs_reauth; the most recently changed first within each. Counts
 * come from the state counters and the page from the attention index (results.listAttention), so the cost
 * follows `limit`, not the number of pairs (`/api/attention`, the dashboard, `status`).
 */
export async function readAttention(
  results: ResultStore,
  options: { limit: number; historyLimit: number; only?: AttentionReason | undefined },
): Promise<Attention> {
  const [states, page] = await Promise.all([
    results.countsByState(),
    results.listAttention({ limit: options.limit, ...(options.only ? { only: options.only } : {}) }),
  ]);
  const [found, histories] = await Promise.all([
    results.getMany(page.pairs),
    Promise.all(page.pairs.map((p) => results.history(p.domain, p.code, options.historyLimit))),
  ]);
  const pairs: AttentionRow[] = [];
  for (const [i, result] of found.entries()) {
    // A pair that moved on between the index read and this one (retried, settled) is left out of the page.
    if (!result || attentionReasons(result).length === 0) continue;
    pairs.push(toAttentionRow(result, histories[i] ?? []));
  }
  return { counts: attentionCounts(states), total: page.total, limit: options.limit, pairs };
}

const HISTORY_READS_AT_ONCE = 200;

/**
 * Every pair needing attention, in pair order, from the per-state index (the cost follows the pairs needing
 * attention, not all pairs): `failed`. `history`: read each pair's attempts (newest first), else leave them empty.
 */
export async function readAllAttention(
  results: ResultStore,
  filter: { portal?: string; code?: string } = {},
  options: { history: boolean } = { history: true },
): Promise<AttentionRow[]> {
  const found = await findPairs(results, { ...filter, states: ATTENTION_REASONS });
  const rows: AttentionRow[] = [];
  for (let i = 0; i < found.length; i += HISTORY_READS_AT_ONCE) {
    const slice = found.slice(i, i + HISTORY_READS_AT_ONCE);
    const histories = options.history
      ? await Promise.all(slice.map((r) => results.history(r.portal, r.code)))
      : [];
    for (const [index, result] of slice.entries()) rows.push(toAttentionRow(result, histories[index] ?? []));
  }
  return rows;
}
