import type { AttemptRecord, PairResult } from '../store/pair-result.js';
import { type AttentionReason, attentionReasons } from './find-attention-pairs.js';
import { type StatusRow, toStatusRow } from './status-row.js';

/** One attempt of the history as `failed --json` prints it: times as ISO strings. */
export interface AttentionAttempt {
  at: string;
  op: string;
  outcome: AttemptRecord['outcome'];
  code?: string;
  message?: string;
  nextAttemptAt?: string;
}

/** One row of `failed --json`: the `status --json` row, why it needs attention, and its history (newest first). */
export interface AttentionRow extends StatusRow {
  reasons: AttentionReason[];
  history: AttentionAttempt[];
}

function toAttempt(record: AttemptRecord): AttentionAttempt {
  return {
    at: new Date(record.at).toISOString(),
    op: record.op,
    outcome: record.outcome,
    ...(record.code === undefined ? {} : { code: record.code }),
    ...(record.message === undefined ? {} : { message: record.message }),
    ...(record.nextAttemptAt === undefined
      ? {}
      : { nextAttemptAt: new Date(record.nextAttemptAt).toISOString() }),
  };
}

export function toAttentionRow(result: PairResult, history: readonly AttemptRecord[]): AttentionRow {
  return { ...toStatusRow(result), reasons: attentionReasons(result), history: history.map(toAttempt) };
}
