import type { ResultStore } from '../store/result-store.js';
import { formatTable } from './format-table.js';
import { sanitiseText } from './sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells, toStatusRow } from './status-row.js';

/** How many pairs needing an operator the summary lists (`failed` lists them all). */
export const SUMMARY_ATTENTION_ROWS = 10;

/**
 * The default `status` view: the pairs that need an operator (failed, then parked; the most recently changed first),
 * at most SUMMARY_ATTENTION_ROWS of them, from the attention index (one page, whatever the number of pairs), and
 * where to find every pair. The counts by state follow it (status.ts).
 */
export async function statusSummaryText(results: ResultStore): Promise<string> {
  const { total, pairs } = await results.listAttention({ limit: SUMMARY_ATTENTION_ROWS });
  const rows = (await results.getMany(pairs))
    .filter((r) => r !== undefined)
    .map((r) => statusTableCells(toStatusRow(r)).map((cell) => sanitiseText(cell)));
  const hint =
    'every pair: imbot-rollout status --pairs (or --json); those needing attention: imbot-rollout failed';
  if (total === 0) return `no pair needs attention\n${hint}`;
  const shown = total > rows.length ? `, the ${rows.length} most recent` : '';
  return `needs attention: ${total} pair(s)${shown}:\n${formatTable(
    STATUS_TABLE_HEADERS.map((h) => sanitiseText(h)),
    rows,
  )}\n${hint}`;
}
