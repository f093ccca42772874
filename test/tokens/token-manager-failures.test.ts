import { describe, expect, it } from 'vitest';
import { createBitrixError } from '../../src/bitrix/create-bitrix-error.js';
import { createLogger } from '../../src/log/create-logger.js';
import { minRefreshLockTtlMs } from '../../src/tokens/min-refresh-lock-ttl.js';
import { installLeakCheck } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';
import { startFlakyProxy } from './support/start-flaky-proxy.js';
import { accessTokenOf, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const DOMAIN = 'failing.sim.test';

function oauthError(code: string) {
  return createBitrixError({
    code,
    description: 'injected by the test',
    httpStatus: undefined,
    method: undefined,
  });
}

/** Replaces the portal's stored credentials as a re-import of the portals file with a new pair would. */
async function reimport(env: TokenEnv, accessToken: string): Promise<void> {
  const [entry] = env.sim.portalsFile();
  if (entry === undefined) throw new Error('no portal');
  await env.store.importPortals([
    {
      ...entry,
      auth: {
        type: 'oauth',
        accessToken,
        refreshToken: `${accessToken}-refresh`,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    },
  ]);
}

async function rejectionOf(promise: Promise<unknown> | undefined): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('token manager: refused and failing refreshes', () => {
  it('puts the portal in needs_reauth on invalid_grant after one OAuth call, and every caller gets ReauthRequiredError', async () => {
    // A refresh token this deployment stored days ago and did not spend: REFRESH_TOKEN_REUSED, invalid_grant as
    // the cause (tokens/refused-refresh-reason.ts; refresh-token-reused.test.ts covers the reason itself).
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const proxy = env.adopt('proxy', await startFlakyProxy(env.sim.oauthUrl, 0), (p) => p.close());
    env.sim.control.revokeRefreshToken(DOMAIN);
    const rejected = await env.storedAccessToken(DOMAIN);
    const managers = [
      env.manager({ refresh: env.refresher(proxy.url) }),
      env.manager({ refresh: env.refresher(proxy.url) }),
    ];

    const errors = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        rejectionOf(managers[i % 2]?.refreshAfterRejected(DOMAIN, rejected)),
      ),
    );

    for (const error of errors)
      expect(error).toMatchObject({
        name: 'ReauthRequiredError',
        domain: DOMAIN,
        code: 'REFRESH_TOKEN_REUSED',
      });
    expect(proxy.requests()).toBe(1);
    expect(env.sim.stats().invalidGrants).toBe(1);
    const stored = await env.store.get(DOMAIN);
    expect(stored?.state).toBe('needs_reauth');
    expect(stored?.stateReason).toMatch(/^REFRESH_TOKEN_REUSED: .*invalid_grant: /);
    expect(await rejectionOf(managers[0]?.targetFor(DOMAIN))).toMatchObject({
      name: 'ReauthRequiredError',
      code: 'REFRESH_TOKEN_REUSED',
    });
    expect(proxy.requests()).toBe(1);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0);
  });

  it('puts the portal in needs_reauth on invalid_client without retrying', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    let calls = 0;
    const manager = env.manager({
      refresh: async () => {
        calls++;
        throw oauthError('invalid_client');
      },
    });

    const error = await rejectionOf(
      manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN)),
    );

    expect(error).toMatchObject({ name: 'ReauthRequiredError', code: 'invalid_client' });
    expect(calls).toBe(1);
    expect((await env.store.get(DOMAIN))?.state).toBe('needs_reauth');
  });

  it('retries a refresh answered with HTTP 500 and stores the one successful pair; logs carry no token', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const proxy = env.adopt('proxy', await startFlakyProxy(env.sim.oauthUrl, 1), (p) => p.close());
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => lines.push(line) },
    });
    const before = await env.store.get(DOMAIN);
    const manager = env.manager({ refresh: env.refresher(proxy.url), logger });

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(proxy.requests()).toBe(2);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    const current = env.sim.portal(DOMAIN);
    expect(accessTokenOf(result)).toBe(current.currentAccessToken);
    expect(await env.storedAccessToken(DOMAIN)).toBe(current.currentAccessToken);
    const log = lines.join('');
    expect(log).toContain('INTERNAL_SERVER_ERROR');
    expect(log).toContain('access token refreshed');
    const secrets = [current.currentAccessToken, current.currentRefreshToken, CLIENT_SECRET];
    if (before?.auth.type === 'oauth') secrets.push(before.auth.accessToken, before.auth.refreshToken);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });

  it('retries an ambiguous refresh (no answer) once and succeeds', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const real = env.refresher();
    let calls = 0;
    const manager = env.manager({
      refresh: async (token, domain) => {
        calls++;
        if (calls === 1) throw oauthError('TIMEOUT');
        return real(token, domain);
      },
    });

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(calls).toBe(2);
    expect(accessTokenOf(result)).toBe(env.sim.portal(DOMAIN).currentAccessToken);
  });

  it('gives up after 3 transient failures with the OAuth error, releases the lock and keeps the portal active', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const proxy = env.adopt('proxy', await startFlakyProxy(env.sim.oauthUrl, 100), (p) => p.close());
    const rejected = await env.storedAccessToken(DOMAIN);
    const manager = env.manager({ refresh: env.refresher(proxy.url) });

    const error = await rejectionOf(manager.refreshAfterRejected(DOMAIN, rejected));

    expect(error).toMatchObject({ name: 'TransientError', code: 'INTERNAL_SERVER_ERROR' });
    expect(proxy.requests()).toBe(3);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0);
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
    expect(await env.storedAccessToken(DOMAIN)).toBe(rejected);
  });

  it('does not retry a permanent OAuth failure', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    let calls = 0;
    const manager = env.manager({
      refresh: async () => {
        calls++;
        throw oauthError('INVALID_REQUEST');
      },
    });

    const error = await rejectionOf(
      manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN)),
    );

    expect(error).toMatchObject({ name: 'PermanentError', code: 'INVALID_REQUEST' });
    expect(calls).toBe(1);
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
  });
});

describe('token manager: lock and concurrent credential changes', () => {
  it('refreshes once a crashed holder’s lock expires', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    await env.redis.set(env.keys.refreshLock(DOMAIN), 'crashed-worker', 'PX', 300);
    const manager = env.manager({ lockTtlMs: 2_000, waitPollMs: 20 });
    const started = Date.now();

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(accessTokenOf(result)).toBe(env.sim.portal(DOMAIN).currentAccessToken);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0);
  });

  it('gives up with TokenRefreshTimeoutError when one holder keeps the lock past lockTtlMs without progress', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    await env.redis.set(env.keys.refreshLock(DOMAIN), 'stuck-worker');
    const manager = env.manager({ lockTtlMs: 200, waitPollMs: 20 });

    const error = await rejectionOf(
      manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN)),
    );

    expect(error).toMatchObject({ name: 'TokenRefreshTimeoutError', domain: DOMAIN });
    expect(env.sim.portal(DOMAIN).refreshes).toBe(0);
    expect(await env.redis.get(env.keys.refreshLock(DOMAIN))).toBe('stuck-worker');
  });

  it('keeps a newer pair stored during the refresh instead of overwriting it', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const real = env.refresher();
    const manager = env.manager({
      refresh: async (token, domain) => {
        const tokens = await real(token, domain);
        await reimport(env, 'reimported-access-token');
        return tokens;
      },
    });

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(accessTokenOf(result)).toBe('reimported-access-token');
    expect(await env.store.get(DOMAIN)).toMatchObject({
      state: 'active',
      auth: { accessToken: 'reimported-access-token', refreshToken: 'reimported-access-token-refresh' },
    });
  });

  it('uses a newer stored pair instead of marking needs_reauth when the refresh is refused after it was stored', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const manager = env.manager({
      refresh: async () => {
        await reimport(env, 'reimported-access-token');
        throw oauthError('invalid_grant');
      },
    });

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(accessTokenOf(result)).toBe('reimported-access-token');
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
  });

  it('never spends the refresh token again after its lock expired and another worker took it', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const lockKey = env.keys.refreshLock(DOMAIN);
    let calls = 0;
    const manager = env.manager({
      lockTtlMs: 150,
      waitPollMs: 20,
      refresh: async () => {
        calls++;
        // The holder's lock (150 ms) expires meanwhile...
        await waitFor(async () => (await env.redis.exists(lockKey)) === 0, {
          message: "the refresh holder's lock to expire",
        });
        // ...another worker takes it, refreshes and stores its pair, while our first try fails transiently.
        await env.redis.set(lockKey, 'other-worker', 'PX', 5_000);
        const portal = await env.store.get(DOMAIN);
        await env.store.saveRefreshedTokens(DOMAIN, portal?.credVersion ?? -1, {
          accessToken: 'other-workers-access-token',
          refreshToken: 'other-workers-refresh-token',
          expiresAt: Date.now() + 3_600_000,
        });
        throw oauthError('INTERNAL_SERVER_ERROR');
      },
    });

    const result = await manager.refreshAfterRejected(DOMAIN, await env.storedAccessToken(DOMAIN));

    expect(calls).toBe(1);
    expect(accessTokenOf(result)).toBe('other-workers-access-token');
    expect(await env.redis.get(lockKey)).toBe('other-worker'); // never deletes another worker's lock
  });
});

describe('token manager: webhooks, unknown portals, options', () => {
  it('returns a webhook target without refreshing, and a refused webhook puts the portal in needs_reauth', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, auth: 'webhook' }]);
    const stored = await env.store.get(DOMAIN);
    const manager = env.manager();

    const result = await manager.targetFor(DOMAIN);
    expect(result.target.kind).toBe('webhook');
    expect(result.target).toMatchObject({
      webhookUrl: stored?.auth.type === 'webhook' ? stored.auth.webhookUrl : '',
    });

    const error = await rejectionOf(manager.refreshAfterRejected(DOMAIN, ''));
    expect(error).toMatchObject({ name: 'ReauthRequiredError', code: 'NO_AUTH_FOUND' });
    expect(await env.store.get(DOMAIN)).toMatchObject({
      state: 'needs_reauth',
      stateReason: expect.stringMatching(/^NO_AUTH_FOUND/),
    });
    expect(await rejectionOf(manager.targetFor(DOMAIN))).toMatchObject({
      name: 'ReauthRequiredError',
      code: 'NO_AUTH_FOUND',
    });
    expect(env.sim.stats().refreshes).toBe(0);
  });

  it('refuses an unknown portal with PortalNotFoundError', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    const manager = env.manager();
    expect(await rejectionOf(manager.targetFor('unknown.sim.test'))).toMatchObject({
      name: 'PortalNotFoundError',
      domain: 'unknown.sim.test',
    });
  });

  it('refuses a lock TTL of 0 and a poll interval not below the lock TTL; documents the minimal lock TTL', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    expect(() => env.manager({ lockTtlMs: 0 })).toThrow(RangeError);
    expect(() => env.manager({ lockTtlMs: 100, waitPollMs: 100 })).toThrow(RangeError);
    expect(minRefreshLockTtlMs(10_000)).toBe(31_600);
  });
});
