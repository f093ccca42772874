import { describe, expect, it } from 'vitest';
import { installLeakCheck } from '../support/redis.js';
import { accessTokenOf, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const DOMAIN = 'expiry.sim.test';
const HOUR = 3_600_000;

describe('token manager: refresh before and at expiry', () => {
  it('refreshes once, before use, when the token expires within refreshBeforeMs', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    const old = await env.storedAccessToken(DOMAIN);
    // The clock says the (1 h) token has 30 s left; tokens issued from now on live 2 h, so the new one is far.
    const now = () => Date.now() + HOUR - 30_000;
    env.sim.control.setTokenTtl(DOMAIN, 7_200);
    const managers = [env.manager({ now }), env.manager({ now })];

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => managers[i % 2]?.targetFor(DOMAIN)),
    );

    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    const fresh = env.sim.portal(DOMAIN).currentAccessToken;
    expect(fresh).not.toBe(old);
    expect(new Set(results.map((r) => (r === undefined ? '' : accessTokenOf(r))))).toEqual(new Set([fresh]));
    expect(await env.storedAccessToken(DOMAIN)).toBe(fresh);
    const again = await managers[0]?.targetFor(DOMAIN);
    expect(again === undefined ? '' : accessTokenOf(again)).toBe(fresh);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
  });

  it('does not refresh a token far from expiry and returns the stored target', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    const stored = await env.store.get(DOMAIN);
    const manager = env.manager({ refreshBeforeMs: 5 * 60_000 });

    const result = await manager.targetFor(DOMAIN);

    expect(result.target).toEqual({
      kind: 'oauth',
      restUrl: stored?.restUrl,
      accessToken: await env.storedAccessToken(DOMAIN),
    });
    expect(result.portal.credVersion).toBe(stored?.credVersion);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(0);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0);
  });

  it('refreshes again at the next expiry: one refresh per expiry, late callers of an old token refresh nothing', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const first = await env.storedAccessToken(DOMAIN);
    const managers = [env.manager(), env.manager(), env.manager()];

    await Promise.all(
      Array.from({ length: 9 }, (_, i) => managers[i % 3]?.refreshAfterRejected(DOMAIN, first)),
    );
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    const second = await env.storedAccessToken(DOMAIN);
    expect(second).not.toBe(first);

    env.sim.control.expireAccessToken(DOMAIN);
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => managers[i % 3]?.refreshAfterRejected(DOMAIN, second)),
    );
    expect(env.sim.portal(DOMAIN).refreshes).toBe(2);
    const third = env.sim.portal(DOMAIN).currentAccessToken;
    expect(new Set(results.map((r) => (r === undefined ? '' : accessTokenOf(r))))).toEqual(new Set([third]));

    // A worker still holding the first token learns about the newest one without another refresh.
    const late = await managers[0]?.refreshAfterRejected(DOMAIN, first);
    expect(late === undefined ? '' : accessTokenOf(late)).toBe(third);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(2);
    expect(env.sim.stats().invalidGrants).toBe(0);
  });

  it('refreshes proactively again when the clock reaches the next token expiry', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    let clock = Date.now();
    env.sim.control.setTokenTtl(DOMAIN, 7_200);
    const manager = env.manager({ now: () => clock, refreshBeforeMs: 60_000 });

    clock += HOUR - 10_000;
    await manager.targetFor(DOMAIN);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    const refreshed = await env.store.get(DOMAIN);
    const expiresAt = refreshed?.auth.type === 'oauth' ? refreshed.auth.expiresAt : 0;

    clock = expiresAt - 120_000;
    await manager.targetFor(DOMAIN);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);

    clock = expiresAt - 30_000;
    const result = await manager.targetFor(DOMAIN);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(2);
    expect(accessTokenOf(result)).toBe(env.sim.portal(DOMAIN).currentAccessToken);
  });
});
