import { sanitiseText } from './sanitise-text.js';

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell starting like a formula gets a leading `'`, so spreadsheets show it as text. */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

function quote(cell: string): string {
  // RFC 4180 section 2: fields with commas, double quotes or line breaks are enclosed in double quotes, and a
  // double quote inside is written twice.
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/**
 * One CSV record, ending in CRLF (RFC 4180). Text cells are neutralised against formula injection, then made
 * printable (sanitiseText: line breaks and tabs become spaces, other control characters visible escapes, so an
 * export shown in a terminal cannot drive it and a record is always one line), then quoted where needed; numbers
 * are written as they are; null is an empty cell.
 */
export function formatCsvRow(cells: readonly (string | number | null)[]): string {
  return `${cells
    .map((cell) =>
      cell === null
        ? ''
        : typeof cell === 'number'
          ? String(cell)
          : quote(sanitiseText(neutraliseFormula(cell))),
    )
    .join(',')}\r\n`;
}
