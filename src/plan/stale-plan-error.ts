import { OperatorError } from '../errors/operator-error.js';

/**
 * `rollout --apply`: the saved plan no longer describes what the rollout would do (a pair settled since, a
 * definition changed, a portal re-imported or parked), or it is older than the allowed age. Nothing was queued.
 */
export class StalePlanError extends OperatorError {
  override readonly name = 'StalePlanError' as const;
  readonly code = 'PLAN_STALE' as const;
}
