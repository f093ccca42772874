import type { ChainableCommander } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';

/** Access tokens live one hour (docs/bitrix24.md, "OAuth 2.0"): a pair whose access token expires at T was issued at T − 1 h. */
export const ACCESS_TOKEN_LIFETIME_MS = 3_600_000;

/** Refresh tokens live 180 days (docs/bitrix24.md, "OAuth 2.0"): a portal not refreshed for that long is lost. */
export const REFRESH_TOKEN_LIFETIME_MS = 180 * 86_400_000;

/**
 * When an imported token pair was issued: one access-token lifetime before its access token expires (the refresh
 * token is issued together with it), never later than the import itself; the import time when the expiry is not
 * known. So a file holding a pair issued 40 days ago counts as 40 days old, not as fresh.
 */
export function estimateIssuedAt(expiresAtMs: number, importedAt: number): number {
  if (!Number.isFinite(expiresAtMs) || expiresAtMs <= 0) return importedAt;
  return Math.min(importedAt, expiresAtMs - ACCESS_TOKEN_LIFETIME_MS);
}

/**
 * The credential index (keys.credentialsByRefresh, keys.keepAliveDue, and keys.sourcePortals for the portals that
 * borrow their tokens) is kept in the same MULTI or script as the credentials it describes: every write of
 * credentials goes through one of these functions.
 */

/** An OAuth pair issued at `issuedAt` (ms) was stored: `active` unless the portal stays needs_reauth. */
export function indexOAuthCredentials(
  batch: ChainableCommander,
  keys: RedisKeys,
  domain: string,
  issuedAt: number,
  active: boolean,
): void {
  batch.zadd(keys.credentialsByRefresh, issuedAt, domain);
  if (active) batch.zadd(keys.keepAliveDue, issuedAt, domain);
  else batch.zrem(keys.keepAliveDue, domain);
  batch.zrem(keys.keepAliveClaims, domain);
  batch.srem(keys.sourcePortals, domain);
}

/** The portal has no OAuth credentials any more (now a webhook portal, or gone). */
export function unindexCredentials(batch: ChainableCommander, keys: RedisKeys, domain: string): void {
  batch.zrem(keys.credentialsByRefresh, domain);
  batch.zrem(keys.keepAliveDue, domain);
  batch.zrem(keys.keepAliveClaims, domain);
  batch.srem(keys.sourcePortals, domain);
}

/**
 * The portal borrows its tokens from the token source (docs/tokens.md, "Borrowed tokens"): out of the OAuth
 * index and keep-alive (nothing to refresh here), counted among the source portals.
 */
export function indexSourceCredentials(batch: ChainableCommander, keys: RedisKeys, domain: string): void {
  batch.zrem(keys.credentialsByRefresh, domain);
  batch.zrem(keys.keepAliveDue, domain);
  batch.zrem(keys.keepAliveClaims, domain);
  batch.sadd(keys.sourcePortals, domain);
}

/** The portal was parked needs_reauth: keep-alive leaves it alone until new credentials are stored. */
export function parkCredentials(batch: ChainableCommander, keys: RedisKeys, domain: string): void {
  batch.zrem(keys.keepAliveDue, domain);
  batch.zrem(keys.keepAliveClaims, domain);
}
