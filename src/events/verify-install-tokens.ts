import type { Logger } from 'pino';
import { BitrixError, InvalidClientError } from '../bitrix/bitrix-error.js';
import type { RefreshedTokens } from '../bitrix/refresh-access-token.js';
import type { Config } from '../config/config-schema.js';
import { OutboundRefusedError } from '../outbound/outbound-refused-error.js';
import { missingClientCredentials, type RefreshTokens } from '../tokens/create-token-refresher.js';
import { endpointIsPortal } from './endpoint-is-portal.js';
import {
  VERIFY_RETRY_AFTER_SECONDS as RETRY_AFTER_SECONDS,
  refuseVerification as refused,
  type VerificationRefusal,
} from './refuse-verification.js';

export type InstallVerification =
  | { kind: 'verified'; tokens: RefreshedTokens }
  | { kind: 'refused'; reply: VerificationRefusal };

export interface VerifyInstallDeps {
  config: Pick<Config, 'b24' | 'allowHosts'>;
  logger: Logger;
  refreshTokens: RefreshTokens;
}

/** The event's claims the OAuth server's answer must agree with. */
export interface InstallClaims {
  domain: string;
  memberId: string;
  /** The event's `client_endpoint`, already accepted by the outbound rule for `domain`. */
  restUrl: string;
  refreshToken: string;
}

/**
 * Verifies the tokens of an install or update (a first install and a known portal's alike) with the OAuth server
 * (docs/install-events.md, "Authentication"): the event's refresh token is refreshed with OUR client id and
 * secret. The server refreshes only tokens issued to that client id, so a token pair of another application
 * installed on the same portal (valid there, e.g. for app.info) is refused. The answer must carry member_id
 * and client_endpoint, and both must be the event's portal: an answer without them (or with values that do not
 * parse) is refused, with the reason logged. The event's refresh token is spent by this: on
 * success the caller stores the returned pair, never the event's.
 *
 * Refusals: B24_CLIENT_ID / B24_CLIENT_SECRET unset -> 503 `not_configured` (logged as an error; nothing is
 * spent); a refused refresh or an answer for another portal -> 403 `token_not_verified`; the OAuth server
 * unreachable, overloaded or silent -> 503 `portal_unavailable` with Retry-After.
 */
export async function verifyInstallTokens(
  claims: InstallClaims,
  deps: VerifyInstallDeps,
): Promise<InstallVerification> {
  const { domain } = claims;
  const missing = missingClientCredentials(deps.config);
  if (missing.length > 0) {
    const settings = missing.join(' and ');
    deps.logger.error(
      { domain, missing },
      `install event refused: ${settings} not set, so the install cannot be verified (and its tokens could never be refreshed)`,
    );
    return refused(
      503,
      'not_configured',
      `this service cannot verify installs: set ${settings} (b24.clientId / b24.clientSecret) to the application's OAuth credentials`,
    );
  }
  let tokens: RefreshedTokens;
  try {
    tokens = await deps.refreshTokens(claims.refreshToken);
  } catch (error) {
    if (error instanceof OutboundRefusedError) {
      deps.logger.error({ domain, err: { message: error.message } }, 'the OAuth server address is refused');
      return refused(503, 'not_configured', `the OAuth server address is refused: ${error.message}`);
    }
    if (!(error instanceof BitrixError)) throw error;
    if (
      error.errorClass === 'transient' ||
      error.errorClass === 'ambiguous' ||
      error.errorClass === 'rate_limited'
    ) {
      return refused(
        503,
        'portal_unavailable',
        `the OAuth server could not be asked to verify ${domain}'s tokens (${error.code}); send the event again`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (error instanceof InvalidClientError) {
      // Our own credentials are wrong: every install will fail until the operator fixes them.
      deps.logger.error(
        { domain, code: error.code },
        'the OAuth server refused B24_CLIENT_ID / B24_CLIENT_SECRET: check the application credentials',
      );
    } else {
      deps.logger.warn(
        { domain, code: error.code },
        'install event refused: the OAuth server did not refresh its token for this application',
      );
    }
    return refused(
      403,
      'token_not_verified',
      `the OAuth server did not refresh the event's token for this application (${error.code})`,
    );
  }
  // Fail closed (issue 19): an answer without member_id or client_endpoint (refreshAccessToken drops a value
  // that does not parse) cannot show which portal the token is for.
  const notFor = (reason: string): InstallVerification => {
    deps.logger.warn({ domain, reason }, `install event refused: ${reason}`);
    return refused(
      403,
      'token_not_verified',
      `the event's token could not be shown to be ${domain}'s: ${reason}`,
    );
  };
  if (tokens.memberId === undefined) {
    return notFor('the OAuth answer has no usable member_id, so the portal cannot be checked');
  }
  if (tokens.clientEndpoint === undefined) {
    return notFor('the OAuth answer has no usable client_endpoint, so the portal cannot be checked');
  }
  if (tokens.memberId !== claims.memberId) {
    return notFor('the refreshed token belongs to another member_id');
  }
  if (!endpointIsPortal(tokens.clientEndpoint, claims, deps.config.allowHosts)) {
    return notFor('the refreshed token is for another REST address (client_endpoint)');
  }
  return { kind: 'verified', tokens };
}
