/** What the event endpoint answers when an install cannot be verified: the HTTP status and a JSON body. */
export interface VerificationRefusal {
  status: number;
  body: { error: string; message: string };
  retryAfterSeconds?: number;
}

/** How long Bitrix24 is asked to wait before sending an event again when the verifier cannot answer now. */
export const VERIFY_RETRY_AFTER_SECONDS = 30;

/**
 * A refused verification (docs/install-events.md, "Authentication"), for the OAuth verifier
 * (verify-install-tokens.ts) and the token-source verifier (verify-through-source.ts) alike.
 */
export function refuseVerification(
  status: number,
  error: string,
  message: string,
  retryAfterSeconds?: number,
): { kind: 'refused'; reply: VerificationRefusal } {
  return {
    kind: 'refused',
    reply: {
      status,
      body: { error, message },
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    },
  };
}
