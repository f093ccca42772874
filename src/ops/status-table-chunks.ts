import type { ResultStore } from '../store/result-store.js';
import { findPairChunks } from './find-pairs.js';
import { columnWidths, tableLine } from './format-table.js';
import { sanitiseText } from './sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells, toStatusRow } from './status-row.js';

/**
 * The `status` table (formatTable of every pair's statusTableCells, no final newline) as text chunks, holding one
 * chunk of pairs at a time: a first pass over the pairs finds the column widths, a second one prints. A pair that
 * changes between the two passes may stick out of its column; nothing else differs from formatTable.
 */
export async function* statusTableChunks(
  results: ResultStore,
  filter: { portal?: string } = {},
  chunkSize = 2_000,
): AsyncGenerator<string> {
  const cellsOf = (chunk: Parameters<typeof toStatusRow>[0][]) =>
    chunk.map((result) => statusTableCells(toStatusRow(result)).map((c) => sanitiseText(c)));
  const headers = STATUS_TABLE_HEADERS.map((h) => sanitiseText(h));
  let widths = headers.map((h) => h.length);
  for await (const chunk of findPairChunks(results, filter, chunkSize)) {
    widths = columnWidths(headers, cellsOf(chunk), widths);
  }
  yield `${tableLine(headers, widths)}\n${tableLine(
    widths.map((w) => '-'.repeat(w)),
    widths,
  )}`;
  for await (const chunk of findPairChunks(results, filter, chunkSize)) {
    yield cellsOf(chunk)
      .map((cells) => `\n${tableLine(cells, widths)}`)
      .join('');
  }
}
