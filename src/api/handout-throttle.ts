import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';

export interface ThrottleDecision {
  allowed: boolean;
  /** When refused: seconds until the window ends (the Retry-After header). */
  retryAfterSeconds: number;
}

/** Wrong handout secrets one source address may send per window before all its requests are refused. */
export const HANDOUT_DENIED_PER_MINUTE = 10;

const WINDOW_MS = 60_000;

export interface HandoutThrottle {
  /** Counts one request for `domain`; refused past `ratePerMinute` in the current window. */
  takePortal(domain: string, now: number): Promise<ThrottleDecision>;
  /** Whether `source` sent too many wrong secrets in the current window (read only: nothing is counted). */
  checkSource(source: string, now: number): Promise<ThrottleDecision>;
  /** Counts one wrong or missing secret from `source`. */
  countDenied(source: string, now: number): Promise<void>;
}

function decide(count: number, limit: number, window: number, now: number): ThrottleDecision {
  if (count <= limit) return { allowed: true, retryAfterSeconds: 0 };
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)),
  };
}

/**
 * The token handout's limits (docs/tokens.md, "Handing out tokens"), fixed one-minute windows counted in Redis so
 * every `serve` process shares them (as the install events' limit, src/events/event-rate-limit.ts):
 * - per portal (`tokens.handout.ratePerMinute`): a backend asking for one portal's token in a loop cannot make
 *   us hammer Redis or the OAuth server; its key carries the portal's hash tag;
 * - per source address, wrong secrets only: past HANDOUT_DENIED_PER_MINUTE in a window, every request from that
 *   address is refused (the right secret too, so a guess learns nothing) until the window ends.
 * Each key expires with its window.
 */
export function createHandoutThrottle(deps: {
  redis: RedisClient;
  keys: RedisKeys;
  ratePerMinute: number;
}): HandoutThrottle {
  const { redis, keys, ratePerMinute } = deps;

  async function count(key: string): Promise<number> {
    const replies = await redis
      .multi()
      .incr(key)
      .pexpire(key, WINDOW_MS * 2)
      .exec();
    return Number(replies?.[0]?.[1] ?? 0);
  }

  return {
    async takePortal(domain, now) {
      const window = Math.floor(now / WINDOW_MS);
      return decide(await count(keys.handoutRate(domain, window)), ratePerMinute, window, now);
    },
    async checkSource(source, now) {
      const window = Math.floor(now / WINDOW_MS);
      const denied = Number((await redis.get(keys.handoutDenied(source, window))) ?? 0);
      return decide(denied + 1, HANDOUT_DENIED_PER_MINUTE, window, now);
    },
    async countDenied(source, now) {
      await count(keys.handoutDenied(source, Math.floor(now / WINDOW_MS)));
    },
  };
}
