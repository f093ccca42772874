import { sanitiseText } from './sanitise-text.js';

/** The width of each column: the longest of its header and its cells (cells already sanitised). */
export function columnWidths(
  headers: readonly string[],
  rows: Iterable<readonly string[]>,
  start: readonly number[] = headers.map((h) => h.length),
): number[] {
  const widths = [...start];
  // A loop, not Math.max(...cells): spreading 100k+ rows would overflow the argument limit.
  for (const row of rows) {
    for (const [i, cell] of row.entries()) if (cell.length > (widths[i] ?? 0)) widths[i] = cell.length;
  }
  return widths;
}

/** One line of the table: cells padded to the column widths, two spaces apart, no trailing blanks. */
export function tableLine(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/**
 * Plain text table with padded columns (no colours: safe for logs and pipes). Every cell is passed through
 * {@link sanitiseText} first: cells carry untrusted text (error messages from portals), and a control character
 * or line break in one must neither drive the terminal nor break the table.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const safeHeaders = headers.map((h) => sanitiseText(h));
  const safeRows = rows.map((r) => r.map((c) => sanitiseText(c)));
  const widths = columnWidths(safeHeaders, safeRows);
  return [
    tableLine(safeHeaders, widths),
    tableLine(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...safeRows.map((r) => tableLine(r, widths)),
  ].join('\n');
}
