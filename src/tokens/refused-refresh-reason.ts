import { REFRESH_TOKEN_LIFETIME_MS } from '../store/credential-index.js';

/** The code of a refresh refused with `invalid_grant` while the stored refresh token should still be valid. */
export const REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED';

/** What that code means, as `failed`, the API and the logs show it (docs/tokens.md, "The refresh token was already used"). */
export const REFRESH_TOKEN_REUSED_REASON =
  "the refresh token was already used — another system holding this application's tokens may have refreshed it";

/** Where the fix is told. */
const REUSED_FIX = 'see docs/tokens.md, "The refresh token was already used"';

/** The stored reason is kept short (portal-store `stateReason`). */
const MAX_REASON = 300;

export interface RefusedRefresh {
  /** The OAuth server's code: `invalid_grant`, `invalid_client`. */
  code: string;
  /** The OAuth server's `error_description`. */
  description: string;
  /**
   * When the refused refresh token was issued (ms): the credential index's score for the portal
   * (store/credential-index.ts), undefined when the portal is not indexed.
   */
  issuedAt: number | undefined;
  /** The time of the refusal (ms). */
  now: number;
}

export interface RefusalReason {
  /** The portal's reason code: REFRESH_TOKEN_REUSED, or the OAuth server's code. */
  code: string;
  /** The reason stored on the portal (`<code>: <text>`), at most 300 characters. */
  stateReason: string;
  /** The text after the code, for messages. */
  text: string;
}

/**
 * Why a refresh was refused, for the portal's `needs_reauth` reason. Bitrix24 refresh tokens are single-use and
 * live 180 days (docs/bitrix24.md, "OAuth 2.0"): an `invalid_grant` on a refresh token this deployment stored less
 * than 180 days ago, which it has not spent itself (the single flight stores every pair it gets before anyone uses
 * it), means someone else spent it — most often the application's own backend refreshing the same pair
 * (docs/tokens.md, "Who owns the tokens"). That gets its own code, REFRESH_TOKEN_REUSED, with the Bitrix24 code
 * kept in the text. Every other refusal keeps the OAuth server's code and description. Pure.
 */
export function refusedRefreshReason(refusal: RefusedRefresh): RefusalReason {
  const server = `${refusal.code}: ${refusal.description}`;
  const { issuedAt, now } = refusal;
  const unexpired =
    issuedAt !== undefined && Number.isFinite(issuedAt) && now - issuedAt < REFRESH_TOKEN_LIFETIME_MS;
  if (refusal.code !== 'invalid_grant' || !unexpired) {
    return { code: refusal.code, stateReason: server.slice(0, MAX_REASON), text: refusal.description };
  }
  const text = `${REFRESH_TOKEN_REUSED_REASON} (${REUSED_FIX}; Bitrix24 answered ${server})`.slice(
    0,
    MAX_REASON - REFRESH_TOKEN_REUSED.length - 2,
  );
  return { code: REFRESH_TOKEN_REUSED, stateReason: `${REFRESH_TOKEN_REUSED}: ${text}`, text };
}
