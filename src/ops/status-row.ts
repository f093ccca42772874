import type { PairResult } from '../store/pair-result.js';
import { sanitiseText } from './sanitise-text.js';

/** One row of `status --json`: a public contract, change it only in a compatible way. */
export interface StatusRow {
  portal: string;
  code: string;
  state: string;
  appId: number | null;
  attempts: number;
  lastError: { code: string; message: string } | null;
  updatedAt: string | null;
  /**
   * The IFRAME HASH this pair's app was last registered or updated with (null for JS commands and before the
   * first call): what the app's iframe handler verifies. How `"HASH": "auto"` derives it: docs/operations.md,
   * "The IFRAME HASH".
   */
  hash: string | null;
}

export function toStatusRow(result: PairResult): StatusRow {
  return {
    portal: result.portal,
    code: result.code,
    state: result.state,
    appId: result.appId,
    attempts: result.attempts,
    lastError: result.lastError,
    updatedAt: result.updatedAt > 0 ? new Date(result.updatedAt).toISOString() : null,
    hash: result.hashUsed ?? null,
  };
}

/** Column headers of the text table `status` and `failed` print. */
export const STATUS_TABLE_HEADERS = ['PORTAL', 'CODE', 'STATE', 'APP_ID', 'ATTEMPTS', 'LAST ERROR'];

/** One row of that table: untrusted error text made printable (sanitiseText), folded onto one line and cut to fit. */
export function statusTableCells(row: StatusRow): string[] {
  return [
    row.portal,
    row.code,
    row.state,
    row.appId === null ? '-' : String(row.appId),
    String(row.attempts),
    row.lastError
      ? sanitiseText(`${row.lastError.code}: ${row.lastError.message}`)
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, 80)
      : '-',
  ];
}
