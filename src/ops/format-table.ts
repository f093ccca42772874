import { sanitiseText } from './sanitise-text.js';

/**
 * Plain text table with padded columns (no colours: safe for logs and pipes). Every cell is passed through
 * {@link sanitiseText} first: cells carry untrusted text (error messages from portals), and a control character
 * or line break in one must neither drive the terminal nor break the table.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const safeHeaders = headers.map((h) => sanitiseText(h));
  const safeRows = rows.map((r) => r.map((c) => sanitiseText(c)));
  const widths = safeHeaders.map((h, i) => Math.max(h.length, ...safeRows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(safeHeaders), line(widths.map((w) => '-'.repeat(w))), ...safeRows.map(line)].join('\n');
}
