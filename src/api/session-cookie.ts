import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client.js';
import { tokensMatch } from '../secrets/tokens-match.js';
import { createRedisKeys } from '../store/redis-keys.js';

/** Name of the dashboard's login cookie (HttpOnly, SameSite=Strict; Secure over HTTPS). */
export const SESSION_COOKIE = 'imbot_rollout_session';

/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Server-side login sessions: what the login form issues, every request checks and logout revokes. */
export interface SessionStore {
  /** Records a new session and returns the cookie value for it. */
  issue(): Promise<string>;
  /** True when the cookie value was issued with this token, and its session exists and has not expired. */
  isValid(value: string): Promise<boolean>;
  /** Deletes the session of this cookie value (logout): the cookie is refused from then on. */
  revoke(value: string): Promise<void>;
}

export interface SessionStoreOptions {
  redis: RedisClient;
  /** The rollout's Redis prefix: sessions live at `keys.apiSession(<SHA-256 of the session id>)` (redis-keys.ts). */
  prefix: string;
  /** ROLLOUT_API_TOKEN: it keys the cookie's HMAC, so changing it logs everyone out. */
  token: string;
  now: () => number;
  ttlMs?: number;
}

function signature(token: string, id: string): string {
  return createHmac('sha256', token).update(`imbot-rollout dashboard session v2|${id}`).digest('base64url');
}

/** A session id: 32 random bytes, base64url (43 characters). */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function parse(value: string, token: string): string | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const id = value.slice(0, dot);
  if (!ID_PATTERN.test(id)) return undefined;
  return tokensMatch(value.slice(dot + 1), signature(token, id)) ? id : undefined;
}

/**
 * Login sessions kept in Redis (OWASP Session Management Cheat Sheet: the server must be able to invalidate a
 * session on logout). The cookie holds a random session id and an HMAC of it keyed by the API token, never
 * the token; Redis holds only a hash of the id with the expiry, so reading Redis gives no usable cookie.
 */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { redis, prefix, token, now } = options;
  const ttlMs = options.ttlMs ?? SESSION_TTL_MS;
  const keys = createRedisKeys(prefix);
  const keyOf = (id: string) => keys.apiSession(createHash('sha256').update(id).digest('base64url'));
  return {
    async issue() {
      const id = randomBytes(32).toString('base64url');
      await redis.set(keyOf(id), String(now() + ttlMs), 'PX', ttlMs);
      return `${id}.${signature(token, id)}`;
    },
    async isValid(value) {
      const id = parse(value, token);
      if (id === undefined) return false;
      const expiresAt = Number(await redis.get(keyOf(id)));
      return Number.isSafeInteger(expiresAt) && expiresAt > now();
    },
    async revoke(value) {
      const id = parse(value, token);
      if (id !== undefined) await redis.del(keyOf(id));
    },
  };
}
