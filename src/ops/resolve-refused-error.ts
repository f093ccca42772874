/** `resolve` will not act on this pair as asked (unknown pair, nothing to resolve, the APP_ID we keep, ...). */
export class ResolveRefusedError extends Error {
  override readonly name = 'ResolveRefusedError';
}
