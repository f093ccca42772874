import type { Runtime } from '../runtime/create-runtime.js';

export interface EventRateDecision {
  allowed: boolean;
  /** When refused: seconds until the window ends (the Retry-After header). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

/**
 * A fixed one-minute window per source address, counted in Redis so every `serve` process shares it
 * (docs/install-events.md, "Rate limit"): the first `perMinute` events of a window pass, the rest are refused
 * until the window ends. The key expires with its window.
 */
export async function takeEventRate(
  deps: Pick<Runtime, 'redis' | 'keys'>,
  source: string,
  perMinute: number,
  now: number,
): Promise<EventRateDecision> {
  const window = Math.floor(now / WINDOW_MS);
  const key = deps.keys.eventRate(source, window);
  const replies = await deps.redis
    .multi()
    .incr(key)
    .pexpire(key, WINDOW_MS * 2)
    .exec();
  const count = Number(replies?.[0]?.[1] ?? 0);
  if (count <= perMinute) return { allowed: true, retryAfterSeconds: 0 };
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)),
  };
}
