import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';

/** Failed authentications one source address may make per window before it is refused (docs/security.md). */
export const FAILED_AUTH_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

export interface FailedAuthLimit {
  /** Seconds until `source` may try to authenticate again; 0 when it may try now. */
  retryAfter(source: string): Promise<number>;
  /** Counts one failed authentication (a wrong bearer token or login) from `source`. */
  recordFailure(source: string): Promise<void>;
}

/**
 * Throttles guessing of ROLLOUT_API_TOKEN (docs/security.md, "HTTP API, dashboard and queue board"): failed
 * logins and wrong bearer tokens are counted per source address in a fixed one-minute window in Redis (so every
 * `serve` process shares it); past {@link FAILED_AUTH_PER_MINUTE}, that address is refused (429, Retry-After)
 * until the window ends, with the right token too, so a guess gets no answer. A correct token is never counted.
 */
export function createFailedAuthLimit(deps: {
  redis: RedisClient;
  keys: Pick<RedisKeys, 'authFailures'>;
  now: () => number;
  perMinute?: number;
}): FailedAuthLimit {
  const perMinute = deps.perMinute ?? FAILED_AUTH_PER_MINUTE;
  const windowOf = (now: number) => Math.floor(now / WINDOW_MS);
  return {
    async retryAfter(source) {
      const now = deps.now();
      const window = windowOf(now);
      const count = Number((await deps.redis.get(deps.keys.authFailures(source, window))) ?? 0);
      if (count < perMinute) return 0;
      return Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    },
    async recordFailure(source) {
      const key = deps.keys.authFailures(source, windowOf(deps.now()));
      await deps.redis
        .multi()
        .incr(key)
        .pexpire(key, WINDOW_MS * 2)
        .exec();
    },
  };
}
