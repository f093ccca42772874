import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { SecretCodec } from '../secrets/secret-codec.js';
import type { PortalStore, StoredPortal } from '../store/portal-store.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { ReauthRequiredError } from './reauth-required-error.js';
import { createRefreshLock } from './refresh-lock.js';
import { createSourceHealth } from './source-health.js';
import { type CachedSourceToken, createSourceTokenCache } from './source-token-cache.js';
import { sourceTokenMismatch } from './source-token-mismatch.js';
import { sourceStaleHash, type TokenSourceClient } from './token-source-client.js';
import { TokenSourceError, TokenSourceRefusedError, tokenSourceError } from './token-source-error.js';

/** How long the source's portals pause after it refused our secret (401/403) before a worker asks again. */
export const SOURCE_REFUSED_PAUSE_MS = 60_000;

export interface SourceTokenProviderOptions {
  redis: RedisClient;
  keys: RedisKeys;
  portalStore: PortalStore;
  /** The configured source (ROLLOUT_TOKEN_SOURCE_URL); undefined: source portals pause as if refused. */
  client: TokenSourceClient | undefined;
  codec?: SecretCodec;
  lockTtlMs: number;
  refreshBeforeMs: number;
  waitPollMs: number;
  /** How long source portals pause after a 401/403 (default SOURCE_REFUSED_PAUSE_MS). */
  refusedPauseMs?: number;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

/** What the caller calls the portal with: the portal's own REST address and the source's token. */
export interface SourceTarget {
  target: PortalTarget;
  portal: StoredPortal;
}

export type SourceTokenProvider = ReturnType<typeof createSourceTokenProvider>;

/** Another worker held the portal's lock for a whole lock TTL and no token was cached: the source is slow. */
function waitedTooLong(domain: string, waitedMs: number): TokenSourceError {
  return tokenSourceError('unavailable', {
    domain,
    description: `waited ${waitedMs} ms for another worker's request to the source without a token being cached`,
    httpStatus: undefined,
  });
}

/**
 * Access tokens of source portals (docs/tokens.md, "Borrowed tokens"): the application's backend owns the OAuth
 * pair; this never refreshes anything, it asks the source.
 *
 * - A sealed cache in Redis (source-token-cache.ts) serves the token until `refreshBeforeMs` before it expires.
 * - On a miss one worker asks the source under the portal's refresh lock (refresh-lock.ts, the single flight of
 *   OAuth refreshes), re-checking the cache under the lock; everyone else polls the cache.
 * - After the portal refused a token, the forced request (`force_refresh=1&stale=<sha256>`) goes out once per
 *   refused token across all workers: the stale hash is remembered (source-token-cache.ts `markForced`) once
 *   the source answered, and a worker finding it remembered takes the cached token.
 * - Failures (token-source-error.ts): 404 and an answer for another portal park the portal `needs_reauth`
 *   (ReauthRequiredError); 401/403 pause every source portal for SOURCE_REFUSED_PAUSE_MS, logged once as an
 *   error; the rest is transient. Each is recorded in the source's health (source-health.ts) and thrown as a
 *   TokenSourceError carrying when to look again and the failures in a row (src/pipeline/decide.ts).
 * The token is only ever returned with the portal's own stored restUrl; logs never carry it.
 */
export function createSourceTokenProvider(options: SourceTokenProviderOptions) {
  const { redis, keys, portalStore, client, lockTtlMs, refreshBeforeMs, waitPollMs, now } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const refusedPauseMs = options.refusedPauseMs ?? SOURCE_REFUSED_PAUSE_MS;
  const logger = options.logger;
  const cache = createSourceTokenCache(
    options.codec === undefined ? { redis, keys, now } : { redis, keys, now, codec: options.codec },
  );
  const health = createSourceHealth({ redis, keys, now });

  const targetOf = (portal: StoredPortal, token: CachedSourceToken): SourceTarget => ({
    target: { kind: 'oauth', restUrl: portal.restUrl, accessToken: token.accessToken },
    portal,
  });
  const fresh = (token: CachedSourceToken | undefined): token is CachedSourceToken =>
    token !== undefined && token.expiresAt - now() > refreshBeforeMs;

  async function park(portal: StoredPortal, error: TokenSourceError): Promise<never> {
    const detail =
      error.failure === 'not_known'
        ? "the token source does not know this portal (HTTP 404): add it to the application's backend, or remove the portal here; then import it again (rollout --portals)"
        : `${error.detail}; then import the portal again (rollout --portals)`;
    await portalStore.markNeedsReauth(portal.domain, `${error.code}: ${detail}`.slice(0, 300));
    logger?.error(
      { domain: portal.domain, code: error.code },
      'token source: the portal needs attention, its pairs wait (needs_reauth)',
    );
    throw new ReauthRequiredError(portal.domain, error.code, { cause: error, detail });
  }

  /** Records the failure in the source's health and throws it with when to look again. */
  async function failed(portal: StoredPortal, error: TokenSourceError): Promise<never> {
    if (error.failure === 'not_known' || error.failure === 'mismatch') {
      await health.recordOk(); // the source answered; only this portal is wrong
      return park(portal, error);
    }
    const pausedUntil = error.failure === 'refused' ? now() + refusedPauseMs : undefined;
    const { previous, failures } = await health.recordFailure(error.failure, {
      code: error.code,
      reason: error.detail,
      pausedUntil,
    });
    if (error.failure === 'refused') {
      if (previous !== 'refused') {
        logger?.error(
          { code: error.code, httpStatus: error.httpStatus, pauseMs: refusedPauseMs },
          'token source refused our secret: check ROLLOUT_TOKEN_SOURCE_SECRET; every source portal waits (docs/tokens.md)',
        );
      }
    } else if (previous !== 'unavailable') {
      logger?.warn(
        { domain: portal.domain, code: error.code, httpStatus: error.httpStatus, reason: error.detail },
        'token source unavailable: source portals back off without spending attempts',
      );
    } else {
      logger?.debug(
        { domain: portal.domain, failures, reason: error.detail },
        'token source still unavailable',
      );
    }
    throw error.withHealth({ retryAt: pausedUntil, failures });
  }

  /** One request to the source (the lock is held); caches and returns the token. */
  async function ask(portal: StoredPortal, force: { staleHash: string } | undefined): Promise<SourceTarget> {
    const domain = portal.domain;
    const pausedUntil = await health.pausedUntil();
    if (pausedUntil !== undefined) {
      throw new TokenSourceRefusedError({
        domain,
        description: 'the source refused our secret a moment ago: its portals are paused',
        httpStatus: undefined,
        retryAt: pausedUntil,
      });
    }
    if (client === undefined) {
      logger?.warn(
        { domain },
        'a source portal, but no token source is configured (ROLLOUT_TOKEN_SOURCE_URL)',
      );
      throw new TokenSourceRefusedError({
        domain,
        description:
          'the portal takes its tokens from a token source, but none is configured: set ROLLOUT_TOKEN_SOURCE_URL and ROLLOUT_TOKEN_SOURCE_SECRET',
        httpStatus: undefined,
        retryAt: now() + refusedPauseMs,
      });
    }
    let token: Awaited<ReturnType<TokenSourceClient['fetchToken']>>;
    try {
      token = await client.fetchToken(domain, force);
    } catch (error) {
      if (error instanceof TokenSourceError) return await failed(portal, error);
      throw error;
    }
    const mismatch = sourceTokenMismatch(token, portal);
    if (mismatch !== undefined) {
      return await failed(
        portal,
        tokenSourceError('mismatch', { domain, description: mismatch, httpStatus: 200 }),
      );
    }
    const cached = { accessToken: token.accessToken, expiresAt: token.expiresAt };
    await cache.put(domain, cached);
    if (force !== undefined) await cache.markForced(domain, force.staleHash);
    const { previous } = await health.recordOk();
    if (previous !== undefined && previous !== 'ok') logger?.info({ domain }, 'token source answers again');
    logger?.debug(
      { domain, expiresAt: token.expiresAt, forced: force !== undefined },
      'access token from the token source',
    );
    if (token.expiresAt - now() <= refreshBeforeMs) {
      logger?.warn(
        { domain, refreshBeforeMs, expiresInMs: token.expiresAt - now() },
        'the source handed out a token that expires within refreshBeforeMs: it is asked again on every call',
      );
    }
    return targetOf(portal, cached);
  }

  /**
   * Under the lock: the cache again, then the source. `rejected`: the portal refused this token; ask with
   * force_refresh unless that was done for this very token already.
   */
  async function holding(portal: StoredPortal, rejected: string | undefined): Promise<SourceTarget> {
    const cached = await cache.get(portal.domain);
    if (fresh(cached) && cached.accessToken !== rejected) return targetOf(portal, cached);
    if (rejected === undefined) return ask(portal, undefined);
    const staleHash = sourceStaleHash(rejected);
    if ((await cache.forcedStaleHash(portal.domain)) === staleHash) {
      // The source was forced to replace this token already: what it gave then is what it has.
      if (fresh(cached)) return targetOf(portal, cached);
      return ask(portal, undefined);
    }
    return ask(portal, { staleHash });
  }

  /** Single flight across processes, as for OAuth refreshes (token-manager.ts `ensureFresh`). */
  async function singleFlight(portal: StoredPortal, rejected: string | undefined): Promise<SourceTarget> {
    const domain = portal.domain;
    const lock = createRefreshLock(redis, keys.refreshLock(domain), lockTtlMs);
    let holder: string | null | undefined;
    let waitedOnHolder = 0;
    for (;;) {
      const taken = await lock.acquire();
      if (taken.acquired) {
        try {
          return await holding(portal, rejected);
        } finally {
          await lock.release().catch((error: unknown) => {
            logger?.warn(
              { domain, err: { name: error instanceof Error ? error.name : 'unknown' } },
              'could not release the refresh lock; it expires by itself',
            );
          });
        }
      }
      if (taken.holder !== holder) {
        holder = taken.holder;
        waitedOnHolder = 0;
      } else if (waitedOnHolder >= lockTtlMs) {
        throw waitedTooLong(domain, waitedOnHolder);
      }
      await sleep(waitPollMs);
      waitedOnHolder += waitPollMs;
      const cached = await cache.get(domain);
      if (fresh(cached) && cached.accessToken !== rejected) return targetOf(portal, cached);
    }
  }

  return {
    /** The token to call a source portal with: cached, or asked for once across all workers. */
    async targetFor(portal: StoredPortal): Promise<SourceTarget> {
      const cached = await cache.get(portal.domain);
      if (fresh(cached)) return targetOf(portal, cached);
      return singleFlight(portal, undefined);
    },

    /** The portal refused `rejectedAccessToken`: a newer token, with one forced request per refused token. */
    async afterRejected(portal: StoredPortal, rejectedAccessToken: string): Promise<SourceTarget> {
      const cached = await cache.get(portal.domain);
      if (fresh(cached) && cached.accessToken !== rejectedAccessToken) return targetOf(portal, cached);
      return singleFlight(portal, rejectedAccessToken);
    },
  };
}
