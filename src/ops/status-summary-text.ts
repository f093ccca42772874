import type { ResultStore } from '../store/result-store.js';
import { attentionCountsText, attentionHints } from './attention-row.js';
import { formatTable } from './format-table.js';
import { readAttention } from './read-attention.js';
import { sanitiseText } from './sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells } from './status-row.js';

/** How many pairs needing an operator the summary lists (`failed` lists them all). */
export const SUMMARY_ATTENTION_ROWS = 10;

/**
 * The default `status` view: the pairs that need an operator (failed, then needs_reauth; the most recently changed
 * first), at most SUMMARY_ATTENTION_ROWS of them, from the attention index (one page, whatever the number of
 * pairs), their counts per reason, what to do next (the words of `failed`), and where to find every pair. The
 * counts by state follow it (status.ts).
 */
export async function statusSummaryText(results: ResultStore): Promise<string> {
  const { total, counts, pairs } = await readAttention(results, {
    limit: SUMMARY_ATTENTION_ROWS,
    historyLimit: 0,
  });
  const rows = pairs.map((r) => statusTableCells(r).map((cell) => sanitiseText(cell)));
  const hint =
    'every pair: imbot-rollout status --pairs (or --json); those needing attention: imbot-rollout failed';
  if (total === 0) return `no pair needs attention\n${hint}`;
  const shown = total > rows.length ? `, the ${rows.length} most recent` : '';
  const table = formatTable(
    STATUS_TABLE_HEADERS.map((h) => sanitiseText(h)),
    rows,
  );
  const next = attentionHints(counts).map((line) => `${line}\n`);
  return `needs attention: ${total} pair(s) (${attentionCountsText(counts)})${shown}:\n${table}\n${next.join('')}${hint}`;
}
