import { createHash } from 'node:crypto';
import type { PortalStore } from '../store/portal-store.js';
import { ReauthRequiredError } from './reauth-required-error.js';
import { PortalNotFoundError, type TokenManager, type TokenTarget } from './token-manager.js';

/** What the handout asks for: a portal's token, or a newer one than the token the portal refused. */
export interface HandoutRequest {
  domain: string;
  /** SHA-256 (hex, lower case) of the access token the portal refused: refresh it unless a newer one is stored. */
  stale: string | undefined;
}

/** Why no token is handed out (answered 404, the reason in `error`). */
export type HandoutRefusal = 'unknown_portal' | 'webhook_only' | 'not_owned' | 'needs_reauth' | 'uninstalled';

export type HandoutAnswer =
  | {
      kind: 'token';
      /** True when the token is not the one stored when the request came (refreshed for it, or meanwhile). */
      refreshed: boolean;
      accessToken: string;
      /** Expiry of the access token (ms). */
      expiresAt: number;
      /** The portal's REST address (`client_endpoint`). */
      restUrl: string;
      memberId: string | undefined;
      credVersion: number;
    }
  | { kind: 'refused'; refusal: HandoutRefusal; message: string };

/** SHA-256 hex of an access token: how a borrower names the token the portal refused (`stale`). */
export function staleTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('hex');
}

function answerOf(outcome: TokenTarget, before: string): HandoutAnswer {
  const { portal } = outcome;
  if (portal.auth.type !== 'oauth') {
    return { kind: 'refused', refusal: 'webhook_only', message: webhookMessage(portal.domain) };
  }
  return {
    kind: 'token',
    refreshed: portal.auth.accessToken !== before,
    accessToken: portal.auth.accessToken,
    expiresAt: portal.auth.expiresAt,
    restUrl: portal.restUrl,
    memberId: portal.memberId,
    credVersion: portal.credVersion,
  };
}

const webhookMessage = (domain: string) =>
  `portal ${domain} is called through a webhook: it has no OAuth token to hand out`;

/**
 * The token handout's logic (docs/tokens.md, "Handing out tokens"): the stored access token of an active OAuth
 * portal, refreshed first through the token manager's single flight when it is due (`targetFor`). With `stale`
 * (the borrower's portal refused a token): when the stored token is that token, it is refreshed once across all
 * workers and `serve` processes (`refreshAfterRejected`: two borrowers reporting the same token make one OAuth
 * refresh); when it is not, the stored one is newer and is answered as it is. The refresh token never leaves.
 * Throws what the token manager throws for a transient failure (a BitrixError, TokenRefreshTimeoutError).
 */
export async function handOutToken(
  deps: {
    portals: Pick<PortalStore, 'get'>;
    tokens: Pick<TokenManager, 'targetFor' | 'refreshAfterRejected'>;
  },
  request: HandoutRequest,
): Promise<HandoutAnswer> {
  const { domain, stale } = request;
  const portal = await deps.portals.get(domain);
  if (portal === undefined) {
    return {
      kind: 'refused',
      refusal: 'unknown_portal',
      message: `portal ${domain} is not stored here: import it (rollout --portals) or let its install event store it`,
    };
  }
  if (portal.state === 'uninstalled') {
    return {
      kind: 'refused',
      refusal: 'uninstalled',
      message: `portal ${domain}: the application was uninstalled (${portal.stateReason ?? 'ONAPPUNINSTALL'})`,
    };
  }
  if (portal.state === 'needs_reauth') {
    return {
      kind: 'refused',
      refusal: 'needs_reauth',
      message: `portal ${domain} needs re-authorisation: ${portal.stateReason ?? 'its credentials were refused'}`,
    };
  }
  const auth = portal.auth;
  if (auth.type !== 'oauth') {
    // Only an OAuth pair stored here is ours to hand out: not a webhook, nor a token borrowed from a source.
    return auth.type === 'webhook'
      ? { kind: 'refused', refusal: 'webhook_only', message: webhookMessage(domain) }
      : {
          kind: 'refused',
          refusal: 'not_owned',
          message: `portal ${domain} takes its tokens from the token source: ask the source, not imbot-rollout`,
        };
  }
  const before = auth.accessToken;
  try {
    const outcome =
      stale !== undefined && staleTokenHash(before) === stale
        ? await deps.tokens.refreshAfterRejected(domain, before)
        : await deps.tokens.targetFor(domain);
    return answerOf(outcome, before);
  } catch (error) {
    if (error instanceof PortalNotFoundError) {
      return { kind: 'refused', refusal: 'unknown_portal', message: error.message };
    }
    if (error instanceof ReauthRequiredError) {
      const parked = await deps.portals.get(domain);
      if (parked?.state === 'uninstalled') {
        return {
          kind: 'refused',
          refusal: 'uninstalled',
          message: `portal ${domain}: the application was uninstalled`,
        };
      }
      return {
        kind: 'refused',
        refusal: 'needs_reauth',
        message: parked?.stateReason
          ? `portal ${domain} needs re-authorisation: ${parked.stateReason}`
          : error.message,
      };
    }
    throw error;
  }
}
