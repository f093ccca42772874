import { setTimeout as delay } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import { BitrixError, InvalidClientError, InvalidGrantError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { SecretCodec } from '../secrets/secret-codec.js';
import type { PortalStore, StoredPortal } from '../store/portal-store.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { REFRESH_RETRY } from './min-refresh-lock-ttl.js';
import { ReauthRequiredError } from './reauth-required-error.js';
import { createRefreshLock, type RefreshLock } from './refresh-lock.js';
import { refusedRefreshReason } from './refused-refresh-reason.js';
import { createSourceTokenProvider } from './source-token-provider.js';
import type { TokenSourceClient } from './token-source-client.js';

/**
 * Spends `refreshToken` at the OAuth server and returns the new pair (`expiresAt` in ms). Usually
 * `(token) => refreshAccessToken({ oauthUrl, clientId, clientSecret, refreshToken: token }, options)`.
 * Throws BitrixError subclasses: InvalidGrantError / InvalidClientError, or transient / ambiguous failures.
 */
export type TokenRefresher = (
  refreshToken: string,
  domain: string,
) => Promise<{ accessToken: string; refreshToken: string; expiresAt: number }>;

export interface TokenManagerOptions {
  redis: RedisClient;
  keys: RedisKeys;
  portalStore: PortalStore;
  refresh: TokenRefresher;
  /** Clock in ms (default Date.now); only decides "expires soon". */
  now?: () => number;
  /**
   * TTL of the per-portal refresh lock. Must exceed the holder's whole refresh, see `minRefreshLockTtlMs`
   * (3 × OAuth timeout + 600 ms of retry waits + 1 s margin). Also how long a crashed holder blocks the portal.
   */
  lockTtlMs: number;
  /** Refresh proactively when the access token expires within this many ms. */
  refreshBeforeMs: number;
  /** How often a worker waiting for another worker's refresh looks again (default 50 ms). */
  waitPollMs?: number;
  logger?: Logger;
  /** Waits between polls (default timers/promises setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The token source (ROLLOUT_TOKEN_SOURCE_URL) source portals take their access tokens from
   * (source-token-provider.ts); undefined when none is configured.
   */
  source?: TokenSourceClient;
  /** Seals the cached source tokens: the portal store's codec (default: stored as they are). */
  codec?: SecretCodec;
  /** How long source portals pause after the source refused our secret (default 60 s, source-token-provider.ts). */
  sourceRefusedPauseMs?: number;
}

export interface TokenTarget {
  target: PortalTarget;
  portal: StoredPortal;
}

export type TokenManager = ReturnType<typeof createTokenManager>;

type OAuthAuth = Extract<StoredPortal['auth'], { type: 'oauth' }>;
type OAuthPortal = StoredPortal & { auth: OAuthAuth };
type SourcePortal = StoredPortal & { auth: { type: 'source' } };

/** The domain is not in the portal store: import the portals file first. */
export class PortalNotFoundError extends Error {
  override readonly name = 'PortalNotFoundError' as const;
  readonly domain: string;

  constructor(domain: string) {
    super(`portal ${domain} is not in the store: import it with the portals file first`);
    this.domain = domain;
  }
}

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

/** Says whether the stored credentials are fresh enough for the caller (no refresh needed any more). */
type FreshTest = (portal: OAuthPortal) => boolean;

const LOCK_LOST = Symbol('lock lost');
/** The portal became a source portal (a re-import) while a refresh waited: its token comes from the source. */
const NOW_SOURCE = Symbol('now a source portal');

function isOAuth(portal: StoredPortal): portal is OAuthPortal {
  return portal.auth.type === 'oauth';
}

function isSource(portal: StoredPortal): portal is SourcePortal {
  return portal.auth.type === 'source';
}

/** The target of an OAuth or webhook portal (a source portal's token is not stored: source-token-provider.ts). */
function targetOf(portal: StoredPortal): TokenTarget {
  const auth = portal.auth;
  if (auth.type === 'oauth') {
    return { target: { kind: 'oauth', restUrl: portal.restUrl, accessToken: auth.accessToken }, portal };
  }
  if (auth.type === 'source') throw new Error(`portal ${portal.domain}: a source portal has no stored token`);
  const target: PortalTarget =
    auth.clientId === undefined
      ? { kind: 'webhook', webhookUrl: auth.webhookUrl }
      : { kind: 'webhook', webhookUrl: auth.webhookUrl, clientId: auth.clientId };
  return { target, portal };
}

/** `invalid_grant: ...` -> `invalid_grant`. */
function reasonCode(reason: string | undefined): string {
  const code = reason?.split(':')[0]?.trim();
  return code ? code : 'needs_reauth';
}

function isRetryable(error: unknown): boolean {
  return (
    error instanceof BitrixError && (error.errorClass === 'transient' || error.errorClass === 'ambiguous')
  );
}

function errorCode(error: unknown): string {
  if (error instanceof BitrixError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * OAuth access tokens for every worker process, with exactly one refresh per expiry across all of them
 * (docs/bitrix24.md, "OAuth 2.0": the refresh token is single-use, so two concurrent refreshes leave
 * the loser with invalid_grant and can lose the portal).
 *
 * - The refresher holds `keys.refreshLock(domain)` (`SET NX PX lockTtlMs`), re-reads the portal and refreshes
 *   only if the stored token is still the expiring / rejected one; the new pair is stored atomically
 *   (`saveRefreshedTokens`, compare-and-set on `credVersion`) before anyone uses it; then compare-and-delete.
 * - Everyone else polls every `waitPollMs` until a fresher token is stored (or the lock is free to take);
 *   after `lockTtlMs` on one holder without progress: TokenRefreshTimeoutError.
 * - Refused refresh (invalid_grant / invalid_client): the portal goes to `needs_reauth`, ReauthRequiredError.
 * - A source portal (auth type `source`, docs/tokens.md "Borrowed tokens (source mode)") is never refreshed: its
 *   token comes from the token source through source-token-provider.ts, under the same per-portal lock.
 * Logs carry the domain, credVersion, expiry and error codes, never a token.
 */
export function createTokenManager(options: TokenManagerOptions) {
  const { redis, keys, portalStore, refresh, lockTtlMs, refreshBeforeMs } = options;
  const now = options.now ?? Date.now;
  const waitPollMs = options.waitPollMs ?? 50;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const logger = options.logger?.child({ component: 'token-manager' });

  if (!(Number.isFinite(lockTtlMs) && lockTtlMs > 0))
    throw new RangeError(`lockTtlMs must be > 0, got ${lockTtlMs}`);
  if (!(Number.isFinite(refreshBeforeMs) && refreshBeforeMs >= 0)) {
    throw new RangeError(`refreshBeforeMs must be >= 0, got ${refreshBeforeMs}`);
  }
  if (!(Number.isFinite(waitPollMs) && waitPollMs > 0 && waitPollMs < lockTtlMs)) {
    throw new RangeError(`waitPollMs must be > 0 and < lockTtlMs, got ${waitPollMs}`);
  }

  const sourceTokens = createSourceTokenProvider({
    redis,
    keys,
    portalStore,
    client: options.source,
    ...(options.codec === undefined ? {} : { codec: options.codec }),
    ...(options.sourceRefusedPauseMs === undefined ? {} : { refusedPauseMs: options.sourceRefusedPauseMs }),
    lockTtlMs,
    refreshBeforeMs,
    waitPollMs,
    now,
    sleep,
    ...(logger === undefined ? {} : { logger }),
  });

  function expiresSoon(auth: OAuthAuth): boolean {
    return auth.expiresAt - now() <= refreshBeforeMs;
  }

  /** The stored portal; throws when unknown or needs_reauth. */
  async function load(domain: string): Promise<StoredPortal> {
    const portal = await portalStore.get(domain);
    if (portal === undefined) throw new PortalNotFoundError(domain);
    if (portal.state === 'needs_reauth')
      throw new ReauthRequiredError(domain, reasonCode(portal.stateReason));
    return portal;
  }

  /** Marks the portal needs_reauth unless newer credentials were stored since `readVersion`. */
  async function refused(
    domain: string,
    readVersion: number,
    error: BitrixError,
  ): Promise<TokenTarget | typeof NOW_SOURCE> {
    const current = await portalStore.get(domain);
    if (current !== undefined && current.state === 'active' && current.credVersion !== readVersion) {
      logger?.warn(
        { domain, code: error.code, readVersion, credVersion: current.credVersion },
        'refresh refused, but newer credentials were stored meanwhile: using them',
      );
      return isSource(current) ? NOW_SOURCE : targetOf(current);
    }
    // invalid_grant on a pair stored less than 180 days ago: another holder spent it (refused-refresh-reason.ts).
    const issuedAt = await redis.zscore(keys.credentialsByRefresh, domain);
    const refusal = refusedRefreshReason({
      code: error.code,
      description: error.description,
      issuedAt: issuedAt === null ? undefined : Number(issuedAt),
      now: now(),
    });
    await portalStore.markNeedsReauth(domain, refusal.stateReason);
    logger?.error(
      { domain, code: refusal.code, bitrixCode: error.code, reason: refusal.text, credVersion: readVersion },
      'refresh refused: portal needs re-authorisation',
    );
    throw new ReauthRequiredError(domain, refusal.code, {
      cause: error,
      ...(refusal.code === error.code ? {} : { detail: refusal.text }),
    });
  }

  /** Runs with the lock held; the lock is always released. */
  async function refreshHolding(
    domain: string,
    isFresh: FreshTest,
    lock: RefreshLock,
  ): Promise<TokenTarget | typeof LOCK_LOST | typeof NOW_SOURCE> {
    try {
      const portal = await load(domain);
      if (isSource(portal)) return NOW_SOURCE;
      // Someone refreshed (or re-imported) between our read and our lock: nothing to do.
      if (!isOAuth(portal) || isFresh(portal)) return targetOf(portal);
      const readVersion = portal.credVersion;
      let lockLost = false;
      let tokens: Awaited<ReturnType<TokenRefresher>>;
      try {
        tokens = await pRetry(
          async () => {
            // Never spend the refresh token without the lock: had it expired and been taken, the new holder
            // may be spending the same token right now.
            if (!(await lock.isHeld())) {
              lockLost = true;
              throw new AbortError('refresh lock lost');
            }
            return refresh(portal.auth.refreshToken, domain);
          },
          {
            retries: REFRESH_RETRY.tries - 1,
            minTimeout: REFRESH_RETRY.minDelayMs,
            factor: REFRESH_RETRY.factor,
            maxTimeout: REFRESH_RETRY.maxDelayMs,
            shouldRetry: ({ error }) => isRetryable(error),
            onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
              logger?.warn(
                {
                  domain,
                  code: errorCode(error),
                  attempt: attemptNumber,
                  retriesLeft,
                  retry: isRetryable(error),
                },
                'token refresh attempt failed',
              );
            },
          },
        );
      } catch (error) {
        if (lockLost) {
          logger?.warn(
            { domain, lockTtlMs },
            'refresh lock expired before the refresh: lockTtlMs is too short',
          );
          return LOCK_LOST;
        }
        if (error instanceof InvalidGrantError || error instanceof InvalidClientError) {
          return await refused(domain, readVersion, error);
        }
        throw error;
      }

      const pair = {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.expiresAt,
      };
      if (await portalStore.saveRefreshedTokens(domain, readVersion, pair)) {
        logger?.info(
          { domain, credVersion: readVersion + 1, expiresAt: pair.expiresAt },
          'access token refreshed',
        );
        if (pair.expiresAt - now() <= refreshBeforeMs) {
          logger?.warn(
            { domain, refreshBeforeMs, expiresInMs: pair.expiresAt - now() },
            'a freshly refreshed token already expires within refreshBeforeMs: lower refreshBeforeMs',
          );
        }
        return targetOf({ ...portal, auth: { type: 'oauth', ...pair }, credVersion: readVersion + 1 });
      }
      // Credentials moved on while we refreshed (a re-import): the stored pair is newer, never overwrite it.
      const current = await load(domain);
      logger?.warn(
        { domain, readVersion, credVersion: current.credVersion },
        'credentials changed during the refresh: keeping the newer stored pair',
      );
      return isSource(current) ? NOW_SOURCE : targetOf(current);
    } finally {
      // A failed release must not hide the outcome: the lock then simply expires after lockTtlMs.
      await lock.release().catch((error: unknown) => {
        logger?.warn(
          { domain, code: errorCode(error) },
          'could not release the refresh lock; it expires by itself',
        );
      });
    }
  }

  /** Single flight across processes: refresh under the lock, or wait for whoever holds it. */
  async function ensureFresh(domain: string, isFresh: FreshTest): Promise<TokenTarget> {
    const lock = createRefreshLock(redis, keys.refreshLock(domain), lockTtlMs);
    let holder: string | null | undefined;
    let waitedOnHolder = 0;
    for (;;) {
      const taken = await lock.acquire();
      if (taken.acquired) {
        const outcome = await refreshHolding(domain, isFresh, lock);
        if (outcome === NOW_SOURCE) return sourceTokens.targetFor(await load(domain));
        if (outcome !== LOCK_LOST) return outcome;
      } else if (taken.holder !== holder) {
        holder = taken.holder;
        waitedOnHolder = 0;
      } else if (waitedOnHolder >= lockTtlMs) {
        throw new TokenRefreshTimeoutError(domain, waitedOnHolder);
      }
      await sleep(waitPollMs);
      waitedOnHolder += waitPollMs;
      const portal = await load(domain);
      if (isSource(portal)) return sourceTokens.targetFor(portal);
      if (!isOAuth(portal) || isFresh(portal)) return targetOf(portal);
    }
  }

  return {
    /**
     * The target to call with; refreshes first (single flight) when an OAuth token expires within
     * refreshBeforeMs. Throws ReauthRequiredError if the portal is needs_reauth, PortalNotFoundError if unknown.
     */
    async targetFor(domain: string): Promise<TokenTarget> {
      const portal = await load(domain);
      // Borrowed: the token comes from the source (cached), never from a refresh here.
      if (isSource(portal)) return sourceTokens.targetFor(portal);
      if (!isOAuth(portal) || !expiresSoon(portal.auth)) return targetOf(portal);
      const expiring = portal.auth.accessToken;
      return ensureFresh(domain, (p) => p.auth.accessToken !== expiring || !expiresSoon(p.auth));
    },

    /**
     * The server rejected `rejectedAccessToken` (expired_token / invalid_token): make sure a fresher token is
     * stored — refresh once across all workers unless someone already did — and return the fresh target. A
     * webhook portal has nothing to refresh: a refused webhook (NO_AUTH_FOUND: deleted, or a wrong code) puts
     * the portal in needs_reauth and throws ReauthRequiredError.
     */
    async refreshAfterRejected(domain: string, rejectedAccessToken: string): Promise<TokenTarget> {
      const portal = await load(domain);
      // A source portal: a newer token from the source (one forced request per refused token), no refresh.
      if (isSource(portal)) return sourceTokens.afterRejected(portal, rejectedAccessToken);
      if (!isOAuth(portal)) {
        await portalStore.markNeedsReauth(
          domain,
          'NO_AUTH_FOUND: webhook refused (deleted, or its code is wrong)',
        );
        logger?.error({ domain }, 'webhook refused: portal needs a new webhook');
        throw new ReauthRequiredError(domain, 'NO_AUTH_FOUND');
      }
      if (portal.auth.accessToken !== rejectedAccessToken) return targetOf(portal);
      return ensureFresh(domain, (p) => p.auth.accessToken !== rejectedAccessToken);
    },

    /**
     * Token keep-alive (tokens/keep-alive-loop.ts): spends the refresh token once across all workers, unless the
     * credentials moved on from `credVersion` meanwhile (another refresh or a re-import: the stored pair is newer
     * already). Same single flight and failure handling as above: a refused refresh puts the portal in
     * needs_reauth and throws ReauthRequiredError.
     */
    async refreshUnlessChanged(domain: string, credVersion: number): Promise<TokenTarget> {
      const portal = await load(domain);
      // Never kept alive here (the backend owns the pair): keep-alive never lists a source portal anyway.
      if (isSource(portal)) return sourceTokens.targetFor(portal);
      return ensureFresh(domain, (p) => p.credVersion !== credVersion);
    },
  };
}
