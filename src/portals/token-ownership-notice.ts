import type { PortalEntry } from './portal-entry-schema.js';

/** Where the arrangements are explained (docs/tokens.md, "Who owns the tokens"). */
export const TOKEN_OWNERSHIP_DOC = 'docs/tokens.md#who-owns-the-tokens';

/**
 * The one line said whenever OAuth refresh tokens are imported (`rollout --portals`: stderr; POST /api/portals:
 * the answer's `warning`). Refresh tokens are single-use (docs/bitrix24.md, "OAuth 2.0"): once imbot-rollout holds
 * and refreshes them, any other holder (the application's own backend) is logged out at the first refresh unless
 * it takes its access tokens from imbot-rollout, or imbot-rollout borrows them instead. Undefined when no entry
 * carries a refresh token, or none of them was written (`written`). Never quotes a token.
 */
export function tokenOwnershipNotice(
  entries: readonly Pick<PortalEntry, 'auth' | 'domain'>[],
  /** The domains whose credentials the import wrote (`credentialsReplaced`): a pair kept as it was is no news. */
  written?: readonly string[],
): string | undefined {
  const wrote = written === undefined ? undefined : new Set(written);
  const count = entries.filter(
    (entry) => entry.auth.type === 'oauth' && (wrote === undefined || wrote.has(entry.domain)),
  ).length;
  if (count === 0) return undefined;
  return (
    `imbot-rollout now owns and refreshes the OAuth refresh tokens of ${count} portal(s) (refresh tokens are ` +
    "single-use): any other holder of these tokens, such as the application's backend, must take its access " +
    'tokens from imbot-rollout (GET /api/tokens), or imbot-rollout must borrow them instead (source mode, ' +
    `"auth": {"type": "source"}); see ${TOKEN_OWNERSHIP_DOC}`
  );
}
