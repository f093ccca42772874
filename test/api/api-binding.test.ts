import { type AddressInfo, createServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi, UnsafeBindError } from '../../src/api/build-api.js';
import { isLoopbackHost } from '../../src/api/is-loopback-host.js';
import { HEALTH_TIMEOUT_MS } from '../../src/api/routes/health-routes.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { spawnCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const TOKEN = 'binding-token-0123456789';

let runtime: Runtime | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await runtime?.close();
  runtime = undefined;
});

function newRuntime(): Runtime {
  const config = loadConfig(
    {},
    { redisUrl: testRedisUrl(), prefix: uniquePrefix('api'), logLevel: 'silent' },
  );
  runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  return runtime;
}

/** Runs the CLI as a child process; `until` ends it early (SIGTERM) once its output contains that text. */
async function runCliUntil(
  args: string[],
  env: Record<string, string>,
  until?: (out: string) => Promise<void>,
) {
  const cli = spawnCli(args, {
    LOG_LEVEL: 'silent',
    REDIS_URL: testRedisUrl(),
    ROLLOUT_PREFIX: uniquePrefix('cli'),
    ...env,
  });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 20_000);
  try {
    if (until) {
      await waitFor(() => cli.stdout().includes('listening on') || !cli.alive(), {
        timeoutMs: 15_000,
        intervalMs: 50,
        message: `the API to say it listens (stderr: ${cli.stderr()})`,
      });
      await until(cli.stdout());
      cli.child.kill('SIGTERM');
    }
    const { code } = await cli.exited;
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    clearTimeout(timer);
    await cli.stop();
  }
}

describe('binding and access control', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['api.example.com', false],
  ])('treats %s as loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each(['0.0.0.0', '::', '10.1.2.3'])('refuses to serve %s without ROLLOUT_API_TOKEN', async (host) => {
    const error = await buildApi(newRuntime(), { host, token: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeBindError);
    expect((error as Error).message).toContain(`refusing to listen on ${host} without ROLLOUT_API_TOKEN`);
    expect((error as Error).message).toContain('--host 127.0.0.1');
  });

  it('serves a non-loopback address when the token is set, and requires it', async () => {
    app = await buildApi(newRuntime(), { host: '0.0.0.0', token: TOKEN });
    expect((await app.inject({ method: 'GET', url: '/api/progress' })).statusCode).toBe(401);
    const res = await app.inject({
      method: 'GET',
      url: '/api/progress',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
  });

  it('without a token on loopback, is open to loopback host names only (no DNS rebinding)', async () => {
    app = await buildApi(newRuntime(), { host: '127.0.0.1', token: undefined });
    expect((await app.inject({ method: 'GET', url: '/api/progress' })).statusCode).toBe(200);
    const rebound = await app.inject({
      method: 'POST',
      url: '/api/retry-failed',
      headers: { host: 'evil.example:3000' },
      payload: {},
    });
    expect(rebound.statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/healthz', headers: { host: 'evil.example' } })).statusCode,
    ).toBe(200);
    // The login form has nothing to do: straight to the dashboard.
    const login = await app.inject({ method: 'GET', url: '/login?next=/%3Fstate%3Dfailed' });
    expect(login.statusCode).toBe(302);
    expect(login.headers.location).toBe('/?state=failed');
  });

  it('answers /healthz 503 when Redis does not answer in time', async () => {
    // A server that accepts connections and never answers: PING hangs, as during a Redis outage.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const stuck = new Redis(`redis://127.0.0.1:${port}`, {
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
    });
    try {
      app = await buildApi({ ...newRuntime(), redis: stuck }, { host: '127.0.0.1', token: undefined });
      const started = Date.now();
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', redis: 'unreachable' });
      expect(Date.now() - started).toBeLessThan(HEALTH_TIMEOUT_MS + 1_000);
    } finally {
      stuck.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('`serve --host 0.0.0.0` without a token exits 2 with one clear line', async () => {
    const { code, stderr, stdout } = await runCliUntil(['serve', '--host', '0.0.0.0', '--port', '0'], {});
    expect(code).toBe(2);
    expect(stderr).toContain('refusing to listen on 0.0.0.0 without ROLLOUT_API_TOKEN');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });

  it('`serve` listens, answers with the token from ROLLOUT_API_TOKEN and stops on SIGTERM', async () => {
    let health = 0;
    let progress: number[] = [];
    const { code, stdout } = await runCliUntil(
      ['serve', '--port', '0'],
      { ROLLOUT_API_TOKEN: TOKEN },
      async (out) => {
        const url = /listening on (http:\/\/\S+) /.exec(out)?.[1];
        if (!url) return;
        health = (await fetch(`${url}/healthz`)).status;
        progress = [
          (await fetch(`${url}/api/progress`)).status,
          (await fetch(`${url}/api/progress`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
        ];
      },
    );
    expect(stdout).toMatch(/api: listening on http:\/\/127\.0\.0\.1:\d+ .*token required/);
    expect(health).toBe(200);
    expect(progress).toEqual([401, 200]);
    expect(stdout).toContain('api: stopped');
    expect(code).toBe(0);
    expect(stdout).not.toContain(TOKEN);
  });
});
