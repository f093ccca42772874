import type { Logger } from 'pino';
import type { TokenSourceClient } from '../tokens/token-source-client.js';
import { TokenSourceError } from '../tokens/token-source-error.js';
import { endpointIsPortal } from './endpoint-is-portal.js';
import {
  VERIFY_RETRY_AFTER_SECONDS as RETRY_AFTER_SECONDS,
  refuseVerification as refused,
  type VerificationRefusal,
} from './refuse-verification.js';

export type SourceVerification = { kind: 'verified' } | { kind: 'refused'; reply: VerificationRefusal };

/** The event's claims the token source's answer must agree with. */
export interface SourceClaims {
  domain: string;
  memberId: string;
  /** The event's `client_endpoint`, already accepted by the outbound rule for `domain`. */
  restUrl: string;
}

/**
 * With a token source (docs/install-events.md, "With a token source"): the application's backend owns the
 * portal's tokens, so an install is verified by asking the source for the portal, never by refreshing the
 * event's tokens (that would log the backend out, docs/tokens.md). The source must know the domain (a 404 is
 * refused), and when its answer names a member_id or client_endpoint they must be the event's portal. The
 * access token it hands out is not kept here: the workers ask the source again when they need one.
 *
 * Refusals: the source does not know the domain, or answers for another portal -> 403 `token_not_verified`;
 * the source refuses our secret -> 503 `not_configured` (logged as an error); the source down, slow or
 * malformed -> 503 `portal_unavailable` with Retry-After.
 */
export async function verifyThroughSource(
  claims: SourceClaims,
  deps: { tokenSource: TokenSourceClient; logger: Logger; allowHosts: readonly string[] },
): Promise<SourceVerification> {
  const { domain } = claims;
  let answer: Awaited<ReturnType<TokenSourceClient['fetchToken']>>;
  try {
    answer = await deps.tokenSource.fetchToken(domain);
  } catch (error) {
    if (!(error instanceof TokenSourceError)) throw error;
    if (error.failure === 'unavailable') {
      deps.logger.warn({ domain, code: error.code }, 'install event: the token source could not answer now');
      return refused(
        503,
        'portal_unavailable',
        `the token source could not be asked about ${domain} (${error.code}); send the event again`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (error.failure === 'refused') {
      deps.logger.error(
        { domain, code: error.code },
        'install event refused: the token source refused ROLLOUT_TOKEN_SOURCE_SECRET; check the source configuration',
      );
      return refused(
        503,
        'not_configured',
        'the token source refused this service (401/403): check ROLLOUT_TOKEN_SOURCE_SECRET',
      );
    }
    deps.logger.warn(
      { domain, code: error.code },
      'install event refused: the token source does not vouch for it',
    );
    return refused(
      403,
      'token_not_verified',
      error.failure === 'not_known'
        ? `the token source does not know ${domain}: the application's backend must hold its tokens first`
        : `the token source answered for another portal than ${domain}`,
    );
  }
  if (answer.memberId !== undefined && answer.memberId !== claims.memberId) {
    deps.logger.warn(
      { domain },
      'install event refused: the token source knows this domain with another member_id',
    );
    return refused(403, 'token_not_verified', `the token source knows ${domain} with another member_id`);
  }
  if (
    answer.clientEndpoint !== undefined &&
    !endpointIsPortal(answer.clientEndpoint, claims, deps.allowHosts)
  ) {
    deps.logger.warn({ domain }, 'install event refused: the token source names another REST address');
    return refused(403, 'token_not_verified', `the token source names another REST address for ${domain}`);
  }
  return { kind: 'verified' };
}
