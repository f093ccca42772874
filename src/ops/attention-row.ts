import type { AttemptRecord, PairResult, PairState } from '../store/pair-result.js';
import type { AttentionState } from '../store/result-store.js';
import { type StatusRow, toStatusRow } from './status-row.js';

/**
 * The pair states that need a person (docs/operations.md, "`failed`: what needs attention"): the one definition
 * of "attention" for `failed`, `status`, `/api/attention` and the dashboard. The reasons are the state names.
 */
export const ATTENTION_REASONS = ['failed', 'needs_reauth'] as const satisfies readonly AttentionState[];
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

/** Pairs per reason. */
export type AttentionCounts = Record<AttentionReason, number>;

/** One attempt of a pair's history: times as ISO strings. */
export interface AttentionAttempt {
  at: string;
  op: string;
  outcome: AttemptRecord['outcome'];
  code?: string;
  message?: string;
  nextAttemptAt?: string;
}

/**
 * One pair needing attention, as `failed --json` prints it and `/api/attention` answers it: the `status --json`
 * row, why it needs attention, and its history (newest first).
 */
export interface AttentionRow extends StatusRow {
  reasons: AttentionReason[];
  history: AttentionAttempt[];
}

export function isAttentionReason(state: PairState): state is AttentionReason {
  return (ATTENTION_REASONS as readonly PairState[]).includes(state);
}

/** Why the pair needs a person: its state when that is one of ATTENTION_REASONS, else nothing. */
export function attentionReasons(result: PairResult): AttentionReason[] {
  return isAttentionReason(result.state) ? [result.state] : [];
}

/** One attempt as every view prints it (`failed --json`, /api/attention, /api/pairs): times as ISO strings. */
export function toAttentionAttempt(record: AttemptRecord): AttentionAttempt {
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
  return {
    ...toStatusRow(result),
    reasons: attentionReasons(result),
    history: history.map(toAttentionAttempt),
  };
}

/** The counts per reason of pairs counted by state (the state counters, or a list of rows). */
export function attentionCounts(byState: Readonly<Record<AttentionReason, number>>): AttentionCounts {
  return { failed: byState.failed, needs_reauth: byState.needs_reauth };
}

/** The counts per reason of these rows (a pair with two reasons counts for both). */
export function countAttentionRows(rows: readonly AttentionRow[]): AttentionCounts {
  const counts = attentionCounts({ failed: 0, needs_reauth: 0 });
  for (const row of rows) for (const reason of row.reasons) counts[reason] += 1;
  return counts;
}

/** `1 failed, 2 needs_reauth`: the counts as `failed` and `status` print them. */
export function attentionCountsText(counts: AttentionCounts): string {
  return ATTENTION_REASONS.map((reason) => `${counts[reason]} ${reason}`).join(', ');
}

const NEXT_STEP: Record<AttentionReason, string> = {
  failed: 'fix the cause in LAST ERROR, then `imbot-rollout retry --portal D --code C` (or `retry --all`)',
  needs_reauth:
    're-authorise the app on the portal, then import the new credentials with `imbot-rollout rollout --portals FILE`',
};

/** What the operator does next: one `next:` line per reason with a pair. */
export function attentionHints(counts: AttentionCounts): string[] {
  return ATTENTION_REASONS.filter((reason) => counts[reason] > 0).map(
    (reason) => `next: ${reason}: ${NEXT_STEP[reason]}`,
  );
}
