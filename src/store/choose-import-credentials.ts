import type { PortalAuth } from '../portals/portal-entry-schema.js';
import { ACCESS_TOKEN_LIFETIME_MS } from './credential-index.js';

/** What an import does with one entry's credentials (docs/operations.md, "Re-imports never go back in time"). */
export type CredentialChoice =
  /** The file's credentials are written (a new portal, newer credentials, or `--replace-credentials`). */
  | 'replace'
  /** The file's credentials are the ones imported last time: the stored ones (maybe refreshed since) stay. */
  | 'unchanged'
  /** The stored OAuth pair was issued later than the file's: it stays, the file's older pair is not written. */
  | 'stored_newer';

/** What the import read of the stored portal's hash before deciding; undefined fields were not set. */
export interface StoredCredentialFacts {
  /** The portal's hash exists. */
  known: boolean;
  authType: string | undefined;
  /** The stored access token's expiry (ms), undefined when none. */
  expiresAt: number | undefined;
  state: string | undefined;
  /** The file's credentials are the very ones the last import stored (their digest matches `credSource`). */
  sameAsLastImport: boolean;
}

/**
 * When an OAuth pair was issued, estimated from its access token's expiry: access tokens live one hour
 * (docs/bitrix24.md, "OAuth 2.0"), as src/store/credential-index.ts estimates it. A pair the workers refreshed
 * has the expiry the OAuth server gave, so its estimate is the refresh time. Not capped at "now": both sides of
 * the comparison are estimated the same way.
 */
export function pairIssuedAt(expiresAtMs: number): number {
  return expiresAtMs - ACCESS_TOKEN_LIFETIME_MS;
}

/**
 * Whether an import writes an entry's credentials (pure; docs/operations.md, "Re-imports never go back in time").
 * Refresh tokens are single-use, so a file's OAuth pair older than the stored one (an install event or a refresh
 * stored a newer pair since the file was written) is already spent: writing it would park the portal. The
 * file's OAuth pair replaces a stored OAuth pair only when it was issued later, or with `replaceCredentials`.
 * A stored pair that was refused (`needs_reauth`) protects nothing and is replaced; so are credentials of
 * another kind (webhook <-> OAuth). The credentials the last import stored are never written again.
 */
export function chooseImportCredentials(
  stored: StoredCredentialFacts,
  file: PortalAuth,
  options: { replaceCredentials: boolean },
): CredentialChoice {
  if (!stored.known) return 'replace';
  if (stored.sameAsLastImport) return 'unchanged';
  if (options.replaceCredentials) return 'replace';
  if (file.type !== 'oauth' || stored.authType !== 'oauth') return 'replace';
  if (stored.state === 'needs_reauth') return 'replace';
  if (stored.expiresAt === undefined || !Number.isFinite(stored.expiresAt) || stored.expiresAt <= 0)
    return 'replace';
  const fileIssued = pairIssuedAt(Date.parse(file.expiresAt));
  return fileIssued > pairIssuedAt(stored.expiresAt) ? 'replace' : 'stored_newer';
}
