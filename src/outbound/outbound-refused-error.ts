/**
 * The outbound rule refused a connection: the host resolved to a reserved address (docs/security.md, "Where
 * credentials are sent: the outbound rule"). `code` is `OUTBOUND_REFUSED`; the message names the host and the
 * address, never a URL path or a token.
 */
export class OutboundRefusedError extends Error {
  readonly code = 'OUTBOUND_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** The OutboundRefusedError in `error` or its `cause` chain (undici wraps it as `fetch failed`), if any. */
export function findOutboundRefusal(error: unknown): OutboundRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    if (current instanceof OutboundRefusedError) return current;
    if (current instanceof AggregateError) {
      const inner = current.errors.map(findOutboundRefusal).find((found) => found !== undefined);
      if (inner !== undefined) return inner;
    }
    current = current.cause;
  }
  return undefined;
}
