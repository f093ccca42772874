/**
 * Another worker held the portal's refresh lock for longer than the lock TTL and no fresher token appeared.
 * Transient from the caller's point of view: retry the job later.
 */
export class TokenRefreshTimeoutError extends Error {
  override readonly name = 'TokenRefreshTimeoutError' as const;
  readonly domain: string;
  readonly waitedMs: number;

  constructor(domain: string, waitedMs: number) {
    super(
      `portal ${domain}: waited ${waitedMs} ms for another worker's token refresh without a fresher token being stored`,
    );
    this.domain = domain;
    this.waitedMs = waitedMs;
  }
}
