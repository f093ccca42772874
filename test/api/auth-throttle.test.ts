import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

/**
 * Issue 19 item 6, docs/security.md "HTTP API, dashboard and queue board": wrong bearer tokens and failed logins
 * are counted per source address; past the limit that address gets 429 with Retry-After until the window ends.
 */
const TOKEN = 'throttle-token-0123456789';
/** A clock stopped mid-window: the test never crosses a window's end. */
const NOW = Date.UTC(2026, 0, 1, 12, 0, 30);
const LIMIT = 10;

let runtime: Runtime | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await runtime?.close();
  runtime = undefined;
});

async function api(): Promise<FastifyInstance> {
  const config = loadConfig(
    {},
    { redisUrl: testRedisUrl(), prefix: uniquePrefix('api'), logLevel: 'silent' },
  );
  runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  await runtime.redis.ping();
  app = await buildApi(runtime, { host: '127.0.0.1', token: TOKEN, now: () => NOW });
  return app;
}

const withBearer = (server: FastifyInstance, token: string, remoteAddress: string) =>
  server.inject({
    method: 'GET',
    url: '/api/progress',
    headers: { authorization: `Bearer ${token}` },
    remoteAddress,
  });

const logIn = (server: FastifyInstance, token: string, remoteAddress: string) =>
  server.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', host: '127.0.0.1' },
    payload: `token=${encodeURIComponent(token)}`,
    remoteAddress,
  });

describe('failed authentication is throttled per source address', () => {
  it('wrong bearer tokens: 401 up to the limit, then 429 with Retry-After, even with the right token', async () => {
    const server = await api();
    for (let i = 0; i < LIMIT; i++) {
      expect((await withBearer(server, `wrong-token-${i}-abcdefghij`, '203.0.113.7')).statusCode).toBe(401);
    }
    const limited = await withBearer(server, 'wrong-token-x-abcdefghij', '203.0.113.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30'); // the window ends at 12:01:00
    expect(limited.json()).toMatchObject({ error: 'rate_limited' });
    expect((await withBearer(server, TOKEN, '203.0.113.7')).statusCode).toBe(429);
    // Another address is not affected.
    expect((await withBearer(server, TOKEN, '198.51.100.9')).statusCode).toBe(200);
  });

  it('failed logins: the form answers 401 up to the limit, then 429 with Retry-After', async () => {
    const server = await api();
    for (let i = 0; i < LIMIT; i++)
      expect((await logIn(server, `guess-${i}`, '203.0.113.8')).statusCode).toBe(401);
    const limited = await logIn(server, TOKEN, '203.0.113.8');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect((await logIn(server, TOKEN, '198.51.100.10')).statusCode).toBe(303);
  });

  it('the right token is never counted', async () => {
    const server = await api();
    for (let i = 0; i < LIMIT + 5; i++)
      expect((await withBearer(server, TOKEN, '203.0.113.9')).statusCode).toBe(200);
  });
});
