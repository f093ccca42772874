import { OperatorError } from '../errors/operator-error.js';

/** `rollout --resume/--abort/--skip-wave ID`: no plan has this id. */
export class UnknownWavePlanError extends OperatorError {
  override readonly name = 'UnknownWavePlanError' as const;
  readonly code = 'NOTHING_MATCHED' as const;
}

/** The plan is in a state the command does not apply to; the message names the state and what to do. */
export class WavePlanStateError extends OperatorError {
  override readonly name = 'WavePlanStateError' as const;
  readonly code = 'USAGE' as const;
}
