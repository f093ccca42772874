/** What went wrong in the portal rate limiter: bad arguments from the caller, or a reply Redis should never give. */
export type PortalRateLimiterErrorKind = 'invalid_input' | 'unexpected_reply';

/** Thrown by `createPortalRateLimiter` and its methods. Never carries tokens: only portal, method and numbers. */
export class PortalRateLimiterError extends Error {
  override readonly name = 'PortalRateLimiterError';
  readonly kind: PortalRateLimiterErrorKind;

  constructor(kind: PortalRateLimiterErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
