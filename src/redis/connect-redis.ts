import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A Redis connection that survives a Redis restart: commands wait for the reconnect instead of failing. */
export function connectRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  let reported = false;
  redis.on('error', (error) => {
    if (!reported) logger.warn({ err: { message: error.message } }, 'redis connection error; reconnecting');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}
