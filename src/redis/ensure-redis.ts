import { Redis } from 'ioredis';
import { type RedisServerHandle, startRedisServer } from './start-redis-server.js';

/** Answers within `timeoutMs` whether a Redis answers PING at `url`. */
export async function redisReachable(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The Redis at `url` if one answers, else a private `redis-server` started in a temp dir (stopped by `stop`). */
export async function ensureRedis(
  url: string,
): Promise<{ url: string; started: RedisServerHandle | undefined }> {
  if (await redisReachable(url)) return { url, started: undefined };
  const started = await startRedisServer({ appendOnly: true });
  return { url: started.url, started };
}
