import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../redis/redis-client.js';

/** How long /healthz waits for Redis: the shared connection queues commands while it reconnects. */
export const HEALTH_TIMEOUT_MS = 1_000;

async function pingRedis(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (open, no token): 200 when Redis answers PING, else 503. */
export function healthRoutes(app: FastifyInstance, deps: { redis: RedisClient }): void {
  app.get('/healthz', async (_request, reply) => {
    const ok = await pingRedis(deps.redis, HEALTH_TIMEOUT_MS);
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'ok' : 'unreachable' });
  });
}
