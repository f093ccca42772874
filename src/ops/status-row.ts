import type { PairResult } from '../results/pair-result.js';

/** One row of `status --json`: a public contract, change it only in a compatible way. */
export interface StatusRow {
  portal: string;
  code: string;
  state: string;
  appId: number | null;
  attempts: number;
  ambiguousAttempts: number;
  lastError: { code: string; message: string } | null;
  updatedAt: string | null;
}

export function toStatusRow(result: PairResult): StatusRow {
  return {
    portal: result.portal,
    code: result.code,
    state: result.state,
    appId: result.appId,
    attempts: result.attempts,
    ambiguousAttempts: result.ambiguousAttempts,
    lastError: result.lastError,
    updatedAt: result.updatedAt > 0 ? new Date(result.updatedAt).toISOString() : null,
  };
}
