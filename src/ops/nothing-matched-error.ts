/** An operator command matched no pair: said plainly instead of doing nothing silently. */
export class NothingMatchedError extends Error {
  override readonly name = 'NothingMatchedError';
}
