import {
  type BlockedReason,
  type PairPrediction,
  PLAN_ACTIONS,
  type PlanAction,
} from './predict-pair-action.js';

/** One pair of a plan: the pair, its wave (rollout --waves, 1-based) and what the rollout will do to it. */
export type PlanEntry = { domain: string; code: string; wave?: number } & PairPrediction;

export type PlanCounts = Record<PlanAction, number>;

/** Counts of a plan, per CODE and per wave, and what would make the rollout refused whole. */
export interface PlanSummary {
  pairs: number;
  totals: PlanCounts;
  byCode: Record<string, PlanCounts>;
  /** With waves: the counts of wave k at index k - 1; else empty. */
  byWave: PlanCounts[];
  /** update: per CODE, how many pairs change each field (UNKNOWN_FIELDS when the applied definition is unknown). */
  fieldsByCode: Record<string, Record<string, number>>;
  blocked: Partial<Record<BlockedReason, number>>;
  /** Pairs in flight towards another definition, per CODE and rollout ('' when the rollout is not recorded). */
  conflicts: { code: string; rolloutId: string; pairs: number }[];
  /** Pairs per CODE whose change needs --recreate, which was not given. */
  refusedRecreates: Record<string, number>;
  /** SHA-256 over every pair's prediction and the stored fields it was computed from (computeRolloutPlan). */
  fingerprint: string;
}

/** The `fieldsByCode` entry of updates whose applied definition is unknown: every field is sent. */
export const UNKNOWN_FIELDS = '(every field: the applied definition is not known)';

export function emptyPlanCounts(): PlanCounts {
  return Object.fromEntries(PLAN_ACTIONS.map((action) => [action, 0])) as PlanCounts;
}

/** Why the rollout this plan describes would be refused whole (as enqueueRollout refuses it), or []. */
export function planRefusals(summary: Pick<PlanSummary, 'conflicts' | 'refusedRecreates'>): string[] {
  const reasons: string[] = [];
  for (const c of summary.conflicts) {
    reasons.push(
      `${c.code}: ${c.rolloutId ? `rollout ${c.rolloutId}` : 'an earlier rollout'} is still applying another ` +
        `definition to ${c.pairs} portal(s): wait until it has settled, or plan with --replace`,
    );
  }
  for (const [code, pairs] of Object.entries(summary.refusedRecreates)) {
    reasons.push(
      `${code}: ${pairs} portal(s) need a change imbot.app.update cannot apply (an icon, or JS <-> IFRAME): plan ` +
        'with --recreate to replace those apps (their APP_ID changes)',
    );
  }
  return reasons;
}
