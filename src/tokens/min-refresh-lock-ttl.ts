/**
 * How the token manager retries one OAuth refresh (p-retry): 3 tries, waiting 200 ms then 400 ms. Only
 * transient and ambiguous failures are retried (a retry after an ambiguous failure is safe: the refresh token
 * was either consumed — the retry gets invalid_grant — or it was not).
 */
export const REFRESH_RETRY = { tries: 3, minDelayMs: 200, factor: 2, maxDelayMs: 400 } as const;

/** Sum of the waits between the tries above (200 + 400). */
export const REFRESH_RETRY_TOTAL_DELAY_MS = 600;

/** Room for the Redis round trips around the refresh (re-read, lock checks, atomic save). */
export const REFRESH_LOCK_MARGIN_MS = 1000;

/**
 * The smallest safe refresh-lock TTL for an OAuth call timeout: the holder's whole refresh (every try timing
 * out, the waits between tries, the Redis work) must end before the lock expires, otherwise a second worker
 * could take the lock and spend the same single-use refresh token. The holder also checks it still holds the
 * lock before each try, so an expired lock never causes a second refresh from the same holder.
 *
 *   lockTtlMs > tries × refreshTimeoutMs + retry waits + margin = 3 × refreshTimeoutMs + 600 + 1000
 */
export function minRefreshLockTtlMs(refreshTimeoutMs: number): number {
  return REFRESH_RETRY.tries * refreshTimeoutMs + REFRESH_RETRY_TOTAL_DELAY_MS + REFRESH_LOCK_MARGIN_MS;
}
