import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../redis/redis-client.js';

/** Routes that answer while Redis is down: the health probe says so itself. */
export const REDIS_FREE_ROUTES: ReadonlySet<string> = new Set(['/healthz']);

/**
 * How long a request waits for the Redis connection to be ready before it is answered 503: at start-up (the
 * connection is still being made) and across a short reconnect. A request already running when the connection
 * dropped gets the same time: the shared connection holds its commands and sends them again after a reconnect
 * (createRuntime's connectRedis), which may never come.
 */
export const REDIS_WAIT_MS = 1_000;
const WATCH_EVERY_MS = 250;

/** The answer while Redis is down. It names no address: the caller may not be authenticated yet. */
export const REDIS_UNAVAILABLE = {
  error: 'redis_unavailable',
  message:
    'Redis cannot be reached; this answers again by itself once Redis is back (GET /healthz tells when)',
} as const;

/** Sends the 503 answer; returns the reply (a hook or handler returns it to say the answer is sent). */
export function sendUnavailable(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', '5')
    .header('cache-control', 'no-store')
    .send(REDIS_UNAVAILABLE);
}

type RedisConnection = Pick<RedisClient, 'status' | 'once'>;

/**
 * Every route but {@link REDIS_FREE_ROUTES} answers 503 `redis_unavailable` when the Redis connection is not
 * ready within {@link REDIS_WAIT_MS}, instead of waiting for a reconnect that may never come; a request that was
 * running when the connection dropped gets the same answer once it has been down that long. Nothing is cached:
 * the first request after ioredis reconnected is served normally. Register before any hook that reads Redis
 * (login sessions).
 */
export function requireRedisReady(
  app: FastifyInstance,
  deps: { redis: RedisConnection; waitMs?: number },
): void {
  const { redis } = deps;
  const waitMs = deps.waitMs ?? REDIS_WAIT_MS;
  const watches = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  const ready = () => redis.status === 'ready';
  // One 'ready' listener however many requests wait.
  let nextReady: Promise<void> | undefined;
  const readyWithin = async (ms: number): Promise<boolean> => {
    if (ready()) return true;
    if (redis.status === 'end') return false;
    nextReady ??= new Promise<void>((resolve) => {
      redis.once('ready', () => {
        nextReady = undefined;
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([nextReady, late]);
    clearTimeout(timer);
    return ready();
  };

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && REDIS_FREE_ROUTES.has(route)) return;
    if (!(await readyWithin(waitMs))) {
      await sendUnavailable(reply);
      return reply;
    }
    let notReadySince: number | undefined;
    const watch = setInterval(() => {
      if (reply.sent) {
        clearInterval(watch);
        return;
      }
      if (ready()) {
        notReadySince = undefined;
        return;
      }
      notReadySince ??= Date.now();
      if (Date.now() - notReadySince < waitMs) return;
      clearInterval(watch);
      void sendUnavailable(reply);
    }, WATCH_EVERY_MS);
    watch.unref();
    watches.set(request, watch);
  });
  const stop = async (request: FastifyRequest) => {
    clearInterval(watches.get(request));
    watches.delete(request);
  };
  app.addHook('onResponse', stop);
  app.addHook('onRequestAbort', stop);
}
