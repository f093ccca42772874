/**
 * A stored secret could not be read: it was sealed with a key this process does not have, it was changed in
 * Redis (authentication tag mismatch), it is not a well-formed sealed value, or it is sealed and no key is set.
 * The message names the key id at most, never the value.
 */
export class SecretOpenError extends Error {
  override readonly name = 'SecretOpenError' as const;
  readonly reason: 'unknown_key' | 'tampered' | 'malformed' | 'no_key';

  constructor(reason: SecretOpenError['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}
