import { connect, createServer, type Server, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { loadConfig } from '../../src/config/load-config.js';
import { findFreePort } from '../../src/redis/start-redis-server.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { type CliProcess, spawnCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const TOKEN = 'redis-down-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const silent = pino({ level: 'silent' });

/** Every route but /healthz, as an operator or the dashboard calls them. */
const ROUTES: readonly { method: 'GET' | 'POST'; url: string; body?: unknown }[] = [
  { method: 'GET', url: '/api/progress' },
  { method: 'GET', url: '/api/attention' },
  { method: 'GET', url: '/api/portals' },
  { method: 'GET', url: '/api/portals/down.example.com' },
  { method: 'GET', url: '/api/pairs/down.example.com/echo' },
  { method: 'GET', url: '/metrics' },
  { method: 'GET', url: '/queues/api/queues' },
  { method: 'GET', url: '/' },
  { method: 'POST', url: '/api/pairs/down.example.com/echo/retry' },
  { method: 'POST', url: '/api/retry-failed', body: { code: 'echo' } },
];

let runtime: Runtime | undefined;
let app: FastifyInstance | undefined;
let child: CliProcess | undefined;
let proxy: RedisProxy | undefined;
afterEach(async () => {
  await app?.close();
  await runtime?.close();
  await proxy?.close();
  await child?.stop();
  app = undefined;
  runtime = undefined;
  proxy = undefined;
  child = undefined;
});

async function apiOn(redisUrl: string): Promise<FastifyInstance> {
  const config = loadConfig({}, { redisUrl, prefix: uniquePrefix('redis-down') });
  runtime = createRuntime({ config, logger: silent });
  app = await buildApi(runtime, { host: '127.0.0.1', token: TOKEN, logger: silent });
  return app;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

/**
 * A TCP proxy in front of the test Redis: `blackhole` stops forwarding what clients send (a request then waits
 * on Redis), `down` refuses and cuts every connection (Redis gone), `up` listens again on the same port.
 */
interface RedisProxy {
  url: string;
  blackhole(): void;
  /** Bytes the client sent that the blackhole dropped (a request is waiting for an answer that never comes). */
  swallowed(): number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(target: URL): Promise<RedisProxy> {
  const port = await findFreePort();
  const sockets = new Set<Socket>();
  let forwarding = true;
  let swallowed = 0;
  let server: Server | undefined;
  const listen = async () => {
    forwarding = true;
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.on('data', (data) => {
        if (forwarding) upstream.write(data);
        else swallowed += data.length;
      });
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', resolve));
  };
  const down = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };
  await listen();
  return {
    url: `redis://127.0.0.1:${port}`,
    blackhole: () => {
      forwarding = false;
    },
    swallowed: () => swallowed,
    down,
    up: listen,
    close: down,
  };
}

describe('the API while Redis cannot be reached', () => {
  it('answers 503 redis_unavailable within seconds on every route but /healthz', async () => {
    const api = await apiOn(`redis://127.0.0.1:${await findFreePort()}`);
    for (const route of ROUTES) {
      const { value: res, ms } = await timed(() =>
        api.inject({
          method: route.method,
          url: route.url,
          headers: BEARER,
          ...(route.body ? { payload: route.body as Record<string, unknown> } : {}),
        }),
      );
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(503);
      expect(res.json(), `${route.method} ${route.url}`).toMatchObject({ error: 'redis_unavailable' });
      expect(res.headers['retry-after']).toBe('5');
      expect(ms, `${route.method} ${route.url}`).toBeLessThan(5_000);
    }
    // A login cookie is checked in Redis: the answer is the same, not a wait.
    const withCookie = await timed(() =>
      api.inject({ method: 'GET', url: '/api/progress', cookies: { imbot_rollout_session: 'x.y' } }),
    );
    expect(withCookie.value.statusCode).toBe(503);
    expect(withCookie.ms).toBeLessThan(5_000);
    const health = await timed(() => api.inject({ method: 'GET', url: '/healthz' }));
    expect(health.value.statusCode).toBe(503);
    expect(health.value.json()).toEqual({ status: 'unavailable', redis: 'unreachable' });
    expect(health.ms).toBeLessThan(5_000);
  });

  it('`serve` starts without Redis and answers 503 over HTTP', async () => {
    const port = await findFreePort();
    const serve = spawnCli(['serve', '--port', '0'], {
      LOG_LEVEL: 'silent',
      ROLLOUT_CONFIG: '',
      ROLLOUT_API_TOKEN: TOKEN,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      ROLLOUT_PREFIX: uniquePrefix('redis-down'),
    });
    child = serve;
    await waitFor(() => /listening on (http:\/\/\S+?:\d+)/.test(serve.stdout()) || !serve.alive(), {
      timeoutMs: 30_000,
      intervalMs: 50,
      message: 'the API to say it listens',
    });
    const base = /listening on (http:\/\/\S+?:\d+)/.exec(serve.stdout())?.[1];
    expect(base, serve.stdout()).toBeDefined();
    for (const path of ['/api/progress', '/metrics', '/queues/api/queues']) {
      const { value: res, ms } = await timed(() => fetch(`${base}${path}`, { headers: BEARER }));
      expect(res.status, path).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe('redis_unavailable');
      expect(ms).toBeLessThan(5_000);
    }
  }, 60_000);

  it('answers 503 to a request waiting when Redis went away, and recovers by itself', async () => {
    proxy = await startProxy(new URL(testRedisUrl()));
    const api = await apiOn(proxy.url);
    const get = () => api.inject({ method: 'GET', url: '/api/progress', headers: BEARER });
    const until = async (status: number) =>
      await waitFor(
        async () => {
          const last = await get();
          expect(last.statusCode).toBe(status);
          return last;
        },
        { timeoutMs: 15_000, intervalMs: 100, message: `/api/progress to answer ${status}` },
      );
    expect((await until(200)).statusCode).toBe(200);

    proxy.blackhole();
    const waiting = timed(get);
    const blackholed = proxy;
    await waitFor(() => blackholed.swallowed() > 0, {
      message: 'the request to reach the blackhole (sent, no answer coming)',
    });
    await proxy.down();
    const answered = await waiting;
    expect(answered.value.statusCode).toBe(503);
    expect(answered.value.json()).toMatchObject({ error: 'redis_unavailable' });
    expect(answered.ms).toBeLessThan(5_000);
    const next = await timed(get);
    expect(next.value.statusCode).toBe(503);
    expect(next.ms).toBeLessThan(5_000);

    await proxy.up();
    const back = await until(200);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toHaveProperty('counts.total');
  }, 60_000);
});
