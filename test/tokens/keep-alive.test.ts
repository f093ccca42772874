import { describe, expect, it } from 'vitest';
import type { KeepAliveOutcome } from '../../src/metrics/keep-alive-metrics.js';
import { installLeakCheck } from '../support/redis.js';
import { keepAliveLoop, makeStale } from './support/keep-alive-env.js';
import { startFlakyProxy } from './support/start-flaky-proxy.js';
import { useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const STALE = 'stale.sim.test';
const FRESH = 'fresh.sim.test';

describe('token keep-alive', () => {
  it('refreshes a portal older than the age once across three workers and stores the new pair; fresh portals are left alone', async () => {
    const env = await startTokenEnv([{ domain: STALE }, { domain: FRESH }]);
    await makeStale(env, STALE, 40);
    const before = await env.store.get(STALE);
    const workers = [keepAliveLoop(env), keepAliveLoop(env), keepAliveLoop(env)];

    const first = await Promise.all(workers.map((w) => w.loop.tick()));
    const second = await Promise.all(workers.map((w) => w.loop.tick()));

    expect(first.flatMap((t) => t.claimed)).toEqual([STALE]);
    expect(first.flatMap((t) => t.refreshed)).toEqual([STALE]);
    expect(second.flatMap((t) => t.claimed)).toEqual([]);
    expect(env.sim.portal(STALE).refreshes).toBe(1);
    expect(env.sim.portal(FRESH).refreshes).toBe(0);
    expect(env.sim.stats().invalidGrants).toBe(0);
    const current = env.sim.portal(STALE);
    const stored = await env.store.get(STALE);
    expect(stored?.auth).toMatchObject({
      type: 'oauth',
      accessToken: current.currentAccessToken,
      refreshToken: current.currentRefreshToken,
    });
    expect(stored?.credVersion).toBe((before?.credVersion ?? 0) + 1);
    // The refresh time is recorded: the portal is not due again for another 30 days.
    const refreshedAt = Number(await env.redis.zscore(env.keys.credentialsByRefresh, STALE));
    expect(Date.now() - refreshedAt).toBeLessThan(60_000);
    expect(Number(await env.redis.zscore(env.keys.keepAliveDue, STALE))).toBe(refreshedAt);
  });

  it('leaves portals refreshed within the age alone', async () => {
    const env = await startTokenEnv([{ domain: STALE }, { domain: FRESH }]);
    await makeStale(env, STALE, 29);
    const { loop } = keepAliveLoop(env);

    const tick = await loop.tick();

    expect(tick.claimed).toEqual([]);
    expect(env.sim.stats().refreshes).toBe(0);
  });

  it('parks a portal whose refresh is refused as needs_reauth, warns without tokens, counts it, and leaves it alone after', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    const oldRefreshToken = env.sim.portal(STALE).currentRefreshToken ?? '';
    const oldAccessToken = env.sim.portal(STALE).currentAccessToken ?? '';
    env.sim.control.revokeRefreshToken(STALE);
    const outcomes: [KeepAliveOutcome, string][] = [];
    const { loop, log } = keepAliveLoop(env, { onOutcome: (o, d) => outcomes.push([o, d]) });

    const tick = await loop.tick();

    expect(tick.needsReauth).toEqual([STALE]);
    expect(outcomes).toEqual([['needs_reauth', STALE]]);
    const stored = await env.store.get(STALE);
    expect(stored?.state).toBe('needs_reauth');
    // 40 days old, not spent by us: another holder's refresh as far as we can tell (refused-refresh-reason.ts).
    expect(stored?.stateReason).toMatch(/^REFRESH_TOKEN_REUSED: .*invalid_grant/);
    const warning = log.lines.find(
      (l) => l['level'] === 40 && l['domain'] === STALE && String(l['msg']).includes('keep-alive'),
    );
    expect(warning).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    expect(log.text()).not.toContain(oldRefreshToken);
    expect(log.text()).not.toContain(oldAccessToken);
    // Out of the keep-alive set (still listed for credential health), so no later tick tries it again.
    expect(await env.redis.zscore(env.keys.keepAliveDue, STALE)).toBeNull();
    expect(await env.redis.zscore(env.keys.credentialsByRefresh, STALE)).not.toBeNull();
    expect((await loop.tick()).claimed).toEqual([]);
    expect(env.sim.stats().invalidGrants).toBe(1);
  });

  it('tries a transiently failing refresh again once its claim lapses, and only then', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    // Three failures: every try of the token manager's first refresh fails; later requests go through.
    const proxy = env.adopt('proxy', await startFlakyProxy(env.sim.oauthUrl, 3), (p) => p.close());
    let clock = Date.now();
    const { loop } = keepAliveLoop(env, {
      refresh: env.refresher(proxy.url),
      now: () => clock,
      leaseMs: 600_000,
    });

    const failed = await loop.tick();
    clock += 599_000;
    const stillClaimed = await loop.tick();
    clock += 2_000;
    const retried = await loop.tick();

    expect(failed.failed).toEqual([STALE]);
    expect(stillClaimed.claimed).toEqual([]);
    expect(retried.refreshed).toEqual([STALE]);
    expect(env.sim.portal(STALE).refreshes).toBe(1);
    expect((await env.store.get(STALE))?.state).toBe('active');
  });

  it('takes at most its batch per tick, the longest unrefreshed first, so a fleet is refreshed gradually', async () => {
    const domains = ['p1.sim.test', 'p2.sim.test', 'p3.sim.test', 'p4.sim.test', 'p5.sim.test'];
    const env = await startTokenEnv(domains.map((domain) => ({ domain })));
    // p1 is the oldest (50 days), p5 the youngest stale one (46 days).
    for (const [i, domain] of domains.entries()) await makeStale(env, domain, 50 - i);
    const { loop } = keepAliveLoop(env, { batch: 2 });

    const ticks = [await loop.tick(), await loop.tick(), await loop.tick(), await loop.tick()];

    expect(ticks.map((t) => t.claimed)).toEqual([
      ['p1.sim.test', 'p2.sim.test'],
      ['p3.sim.test', 'p4.sim.test'],
      ['p5.sim.test'],
      [],
    ]);
    for (const domain of domains) expect(env.sim.portal(domain).refreshes).toBe(1);
  });

  it('drops a portal that became a webhook portal from keep-alive instead of refreshing it', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    const entry = env.sim.portalsFile()[0];
    if (entry === undefined) throw new Error('no portal');
    await env.store.importPortals([
      { ...entry, auth: { type: 'webhook', url: `${entry.restUrl}1/abcdefgh12345678/`, clientId: 'c1' } },
    ]);
    const { loop } = keepAliveLoop(env);

    const tick = await loop.tick();

    expect(tick.claimed).toEqual([]);
    expect(await env.redis.zscore(env.keys.credentialsByRefresh, STALE)).toBeNull();
    expect(env.sim.stats().refreshes).toBe(0);
  });

  it('a refresh done by a job resets the age: keep-alive does not refresh that portal again', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    const rejected = await env.storedAccessToken(STALE);
    await env.manager().refreshAfterRejected(STALE, rejected);
    const { loop } = keepAliveLoop(env);

    const tick = await loop.tick();

    expect(tick.claimed).toEqual([]);
    expect(env.sim.portal(STALE).refreshes).toBe(1);
    expect(Date.now() - Number(await env.redis.zscore(env.keys.keepAliveDue, STALE))).toBeLessThan(60_000);
  });

  it('leaves an uninstalled portal alone', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    await makeStale(env, STALE, 40);
    await env.store.markUninstalled(STALE, 'APP_UNINSTALLED: ONAPPUNINSTALL received');
    const { loop } = keepAliveLoop(env);

    const tick = await loop.tick();

    expect(tick.claimed).toEqual([]);
    expect(env.sim.stats().refreshes).toBe(0);
    expect(await env.redis.zscore(env.keys.credentialsByRefresh, STALE)).not.toBeNull();
  });

  it('refuses a zero or negative age (keep-alive off is decided by the caller)', async () => {
    const env = await startTokenEnv([{ domain: STALE }]);
    expect(() => keepAliveLoop(env, { afterMs: 0 })).toThrow(/afterMs must be > 0/);
    expect(() => keepAliveLoop(env, { batch: -1 })).toThrow(/batch must be > 0/);
  });
});
