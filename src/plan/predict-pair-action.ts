import type { AppDefinition } from '../apps/app-definition-schema.js';
import { isInFlightConflict } from '../pipeline/find-in-flight-conflicts.js';
import { pairRecreateReason, type RecreateReason } from '../pipeline/find-recreate-changes.js';
import { planOperation } from '../pipeline/plan-operation.js';
import type { PairResult } from '../store/pair-result.js';
import { changedFields } from './changed-fields.js';

/** What a rollout will do to one pair (docs/operations.md, "Plan before apply"). */
export const PLAN_ACTIONS = [
  'register',
  'update',
  'recreate',
  'unregister',
  'unchanged',
  'blocked',
  'conflict',
] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/**
 * Why a pair cannot be worked on: the portal is parked for re-authorisation, its application was uninstalled,
 * the portal was removed, or the bot its entry names by CODE is not on the portal (imbot.bot.list found none).
 */
export const BLOCKED_REASONS = ['needs_reauth', 'uninstalled', 'removed', 'no_bot'] as const;
export type BlockedReason = (typeof BLOCKED_REASONS)[number];

export interface PairPrediction {
  action: PlanAction;
  /** update: the fields that change; undefined when the applied definition is not known (every field is sent). */
  fields?: string[];
  /**
   * register: the server may hand back an app that already exists with this CODE (register is get-or-create,
   * docs/bitrix24.md), which is then adopted and updated: the plan cannot tell which from durable state.
   */
  adoption?: true;
  /** recreate: what update cannot apply; `refused` when --recreate was not given (the rollout is refused whole). */
  recreateReason?: RecreateReason;
  refused?: true;
  blocked?: BlockedReason;
  /** conflict: the rollout still applying another definition to the pair ('' when it is not recorded). */
  rolloutId?: string;
}

export interface PairPlanInput {
  /** The pair's stored result (undefined: never asked for). */
  result: PairResult | undefined;
  /** The definition the rollout asks for, and its hash. */
  defHash: string;
  wanted: AppDefinition | undefined;
  /** The definition stored under `result.appliedDefHash` (undefined when there is none or it is unknown). */
  applied: AppDefinition | undefined;
  /** The portal's standing as the producer will find it (undefined: active). */
  blocked: BlockedReason | undefined;
  /** The rollout gives apps: the producer's conflict and recreate checks run (enqueueRollout). */
  checks: boolean;
  recreate: boolean;
  replace: boolean;
  /** changedFields, or a memo of it (a plan computes the same few differences for thousands of pairs). */
  diff?: (before: AppDefinition, after: AppDefinition) => string[];
}

/**
 * REQUEST_PRESENT's first branch (src/store/result-scripts.ts): a pair registered with this very definition is
 * left as it is, whatever its portal's state.
 */
export function requestPresentIsNoop(result: PairResult | undefined, defHash: string): boolean {
  return result?.state === 'registered' && result.appliedDefHash === defHash && result.desired === 'present';
}

/**
 * What the rollout will do to one pair, in the order the producer and the worker decide it (enqueueRollout, then
 * processPair): a pair in flight towards another definition conflicts (unless --replace); a change update cannot
 * apply is a recreate (refused without --recreate); a pair registered with this definition is unchanged; a parked,
 * uninstalled or removed portal blocks it; then the worker's own choice (planOperation) on the pair as the producer
 * leaves it: register (adoption possible), update (with the changed fields), recreate, or nothing. A portal whose
 * bot CODE is known to be missing blocks every call but an unregister. The same shared predicates as the producer
 * (isInFlightConflict, pairRecreateReason, planOperation), so the plan cannot disagree with what enqueue does.
 */
export function predictPairAction(input: PairPlanInput): PairPrediction {
  const { result, defHash } = input;
  if (input.checks && !input.replace && isInFlightConflict(result, defHash)) {
    return { action: 'conflict', rolloutId: result?.rolloutId ?? '' };
  }
  const reason = input.checks ? pairRecreateReason(result, defHash, input.applied, input.wanted) : undefined;
  if (reason !== undefined && !input.recreate)
    return { action: 'recreate', recreateReason: reason, refused: true };
  if (requestPresentIsNoop(result, defHash)) return { action: 'unchanged' };
  if (input.blocked !== undefined && input.blocked !== 'no_bot')
    return { action: 'blocked', blocked: input.blocked };
  const after: PairResult = {
    ...(result ?? EMPTY_RESULT),
    desired: 'present',
    desiredDefHash: defHash,
    recreate: reason !== undefined,
  };
  const op = planOperation(after);
  if (op === undefined) return { action: 'unchanged' };
  if (input.blocked === 'no_bot') return { action: 'blocked', blocked: 'no_bot' };
  if (op === 'register') return { action: 'register', adoption: true };
  if (op === 'unregister') return { action: 'recreate', ...(reason ? { recreateReason: reason } : {}) };
  const fields =
    after.appliedDefHash !== undefined && input.applied && input.wanted
      ? (input.diff ?? changedFields)(input.applied, input.wanted)
      : undefined;
  return { action: 'update', ...(fields ? { fields } : {}) };
}

/** A pair the store has never seen, as REQUEST_PRESENT creates it. */
const EMPTY_RESULT: PairResult = {
  portal: '',
  code: '',
  state: 'pending',
  desired: 'present',
  desiredDefHash: undefined,
  appliedDefHash: undefined,
  appId: null,
  hashUsed: undefined,
  attempts: 0,
  recreate: false,
  rolloutId: undefined,
  lastError: null,
  nextAttemptAt: undefined,
  createdAt: 0,
  updatedAt: 0,
};
