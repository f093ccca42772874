import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import { startTokenKeepAlive } from '../../src/runtime/start-token-keep-alive.js';
import { configErrorOf } from '../support/config-error-of.js';
import { installLeakCheck, testRedisTarget } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';
import { makeStale } from './support/keep-alive-env.js';
import { CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const STALE = 'stale.sim.test';

function workerConfig(env: TokenEnv, keepAliveAfterDays: number): Config {
  return loadConfig(
    {},
    {
      ...testRedisTarget(),
      prefix: env.prefix,
      allowHttp: true,
      allowHosts: ['127.0.0.1'],
      logLevel: 'silent',
      b24: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, oauthUrl: env.sim.oauthUrl },
      request: { timeoutMs: 2_000, refreshTimeoutMs: 2_000 },
      tokens: { keepAliveAfterDays, keepAliveIntervalMs: 1_000 },
      secrets: { insecurePlaintext: true },
    },
  );
}

describe('token keep-alive configuration', () => {
  it('defaults to 30 days, a batch of 20 and a tick a minute; ROLLOUT_TOKEN_KEEPALIVE_DAYS sets the age', () => {
    expect(loadConfig({}).tokens).toMatchObject({
      keepAliveAfterDays: 30,
      keepAliveBatch: 20,
      keepAliveIntervalMs: 60_000,
    });
    expect(loadConfig({ ROLLOUT_TOKEN_KEEPALIVE_DAYS: '7' }).tokens.keepAliveAfterDays).toBe(7);
    expect(loadConfig({ ROLLOUT_TOKEN_KEEPALIVE_DAYS: '0' }).tokens.keepAliveAfterDays).toBe(0);
  });

  it('refuses an age the refresh token would not survive, or not a whole number of days, naming the key and the fix', () => {
    for (const value of ['180', '151', '-1', '2.5']) {
      const error = configErrorOf(() => loadConfig({ ROLLOUT_TOKEN_KEEPALIVE_DAYS: value }));
      expect(error.message).toContain('tokens.keepAliveAfterDays (ROLLOUT_TOKEN_KEEPALIVE_DAYS)');
      expect(error.message).toContain('from 1 to 150');
      expect(error.message).toContain('0 to turn token keep-alive off');
    }
    expect(configErrorOf(() => loadConfig({ ROLLOUT_TOKEN_KEEPALIVE_DAYS: 'month' })).message).toContain(
      'ROLLOUT_TOKEN_KEEPALIVE_DAYS="month" is not a number',
    );
  });

  it('with 0 days the worker runs no keep-alive', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    const config = workerConfig(env, 0);
    const runtime = env.adopt('runtime', createRuntime({ config, logger: pino({ level: 'silent' }) }), (r) =>
      r.close(),
    );

    const keepAlive = startTokenKeepAlive(runtime);
    await keepAlive.stop();

    expect(keepAlive.enabled).toBe(false);
  });

  it('the worker wiring refreshes a stale portal on its own and stops cleanly', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    const config = workerConfig(env, 30);
    const runtime = env.adopt('runtime', createRuntime({ config, logger: pino({ level: 'silent' }) }), (r) =>
      r.close(),
    );

    const keepAlive = startTokenKeepAlive(runtime);
    await waitFor(
      async () => {
        expect(await env.storedAccessToken(STALE)).toBe(env.sim.portal(STALE).currentAccessToken);
        expect(env.sim.portal(STALE).refreshes).toBe(1);
      },
      { timeoutMs: 15_000, message: 'the stale portal refreshed by the worker keep-alive' },
    );
    await keepAlive.stop();

    expect(keepAlive.enabled).toBe(true);
    // Counted for /metrics.
    await waitFor(async () =>
      expect(await env.redis.hget(runtime.keys.metricsCounters, 'keepalive|refreshed')).toBe('1'),
    );
  });
});
