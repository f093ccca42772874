import { recordKeepAliveOutcome } from '../metrics/keep-alive-metrics.js';
import { createKeepAliveLoop } from '../tokens/keep-alive-loop.js';
import type { Runtime } from './create-runtime.js';

const DAY_MS = 86_400_000;

/** A claim outlives any refresh: at least 10 minutes, and 3 refresh-lock TTLs (a refresh ends within one). */
export function keepAliveLeaseMs(lockTtlMs: number): number {
  return Math.max(10 * 60_000, 3 * lockTtlMs);
}

/**
 * Starts the worker's token keep-alive loop (tokens/keep-alive-loop.ts) from the configuration
 * (tokens.keepAliveAfterDays, keepAliveBatch, keepAliveIntervalMs); with keepAliveAfterDays 0 nothing runs.
 * `stop()` ends it and waits for the refreshes in flight.
 */
export function startTokenKeepAlive(
  runtime: Pick<Runtime, 'config' | 'logger' | 'redis' | 'keys' | 'portals' | 'tokens' | 'now'>,
): { enabled: boolean; stop(): Promise<void> } {
  const { config, logger, redis } = runtime;
  const settings = config.tokens;
  if (settings.keepAliveAfterDays === 0) {
    logger.info('token keep-alive is off (tokens.keepAliveAfterDays = 0)');
    return { enabled: false, stop: async () => undefined };
  }
  const loop = createKeepAliveLoop({
    redis,
    keys: runtime.keys,
    portalStore: runtime.portals,
    tokens: runtime.tokens,
    afterMs: settings.keepAliveAfterDays * DAY_MS,
    batch: settings.keepAliveBatch,
    intervalMs: settings.keepAliveIntervalMs,
    leaseMs: keepAliveLeaseMs(settings.lockTtlMs),
    now: runtime.now,
    logger,
    onOutcome: (outcome) => void recordKeepAliveOutcome(redis, config.prefix, outcome),
  });
  loop.start();
  logger.info(
    {
      afterDays: settings.keepAliveAfterDays,
      batch: settings.keepAliveBatch,
      intervalMs: settings.keepAliveIntervalMs,
    },
    'token keep-alive started',
  );
  return { enabled: true, stop: () => loop.stop() };
}
