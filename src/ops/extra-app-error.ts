/**
 * Unregistering an operator-named extra APP_ID did not happen (or may not have happened: `no_answer`). The
 * message is one line for the operator and never carries a token or webhook code.
 */
export class ExtraAppError extends Error {
  override readonly name = 'ExtraAppError';
  constructor(
    readonly reason:
      | 'not_found'
      | 'other_owner'
      | 'reauth'
      | 'unknown_portal'
      | 'rate_limited'
      | 'no_answer'
      | 'failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
