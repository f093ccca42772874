import type { RedisClient } from '../redis/redis-client.js';
import { plaintextSecretCodec } from '../secrets/plaintext-secret-codec.js';
import type { SecretCodec } from '../secrets/secret-codec.js';
import type { RedisKeys } from '../store/redis-keys.js';

/** A source portal's access token as cached (docs/tokens.md, "Borrowed tokens"). */
export interface CachedSourceToken {
  accessToken: string;
  /** ms epoch */
  expiresAt: number;
}

export interface SourceTokenCacheOptions {
  redis: RedisClient;
  keys: RedisKeys;
  /** The portal store's codec: the token is sealed like every other secret (docs/security.md). */
  codec?: SecretCodec;
  now?: () => number;
}

export type SourceTokenCache = ReturnType<typeof createSourceTokenCache>;

/**
 * How long the stale hash of a forced request is remembered: longer than an access token lives (one hour,
 * docs/bitrix24.md "OAuth 2.0"), so a refused token never causes a second forced request.
 */
export const FORCED_MARKER_TTL_MS = 2 * 60 * 60_000;

/**
 * The access tokens of source portals, one key per portal in the portal's own slot (`{p:<domain>}`), sealed with
 * the secret codec and expiring with the token; and per portal the stale hash of the last forced request.
 * A value that cannot be opened (sealed with a key since removed, or unreadable) is a miss.
 */
export function createSourceTokenCache(options: SourceTokenCacheOptions) {
  const { redis, keys } = options;
  const codec = options.codec ?? plaintextSecretCodec;
  const now = options.now ?? Date.now;

  return {
    async get(domain: string): Promise<CachedSourceToken | undefined> {
      const stored = await redis.get(keys.sourceToken(domain));
      if (stored === null) return undefined;
      try {
        const value: unknown = JSON.parse(codec.open(stored));
        if (typeof value !== 'object' || value === null) return undefined;
        const { t, e } = value as { t?: unknown; e?: unknown };
        if (typeof t !== 'string' || t === '' || typeof e !== 'number') return undefined;
        return { accessToken: t, expiresAt: e };
      } catch {
        return undefined;
      }
    },

    /** Caches the token until it expires (nothing is kept for a token already expired). */
    async put(domain: string, token: CachedSourceToken): Promise<void> {
      const ttlMs = Math.floor(token.expiresAt - now());
      if (ttlMs <= 0) return;
      // The key id first (the start-up check must see every key in use, store/check-stored-key-ids.ts).
      if (codec.currentKid !== undefined) await redis.sadd(keys.keyIds, codec.currentKid);
      const sealed = codec.seal(JSON.stringify({ t: token.accessToken, e: token.expiresAt }));
      await redis.set(keys.sourceToken(domain), sealed, 'PX', ttlMs);
    },

    async drop(domain: string): Promise<void> {
      await redis.del(keys.sourceToken(domain));
    },

    /** The stale hash the source was last forced to replace for this portal, if still remembered. */
    async forcedStaleHash(domain: string): Promise<string | undefined> {
      return (await redis.get(keys.sourceForced(domain))) ?? undefined;
    },

    async markForced(domain: string, staleHash: string): Promise<void> {
      await redis.set(keys.sourceForced(domain), staleHash, 'PX', FORCED_MARKER_TTL_MS);
    },
  };
}
