import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createPortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createRefreshLock } from '../../src/tokens/refresh-lock.js';
import { createTokenManager } from '../../src/tokens/token-manager.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, newRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startReplyDroppingProxy } from '../support/start-reply-dropping-proxy.js';
import { accessTokenOf, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const DOMAIN = 'resend.sim.test';

const own = useOwnedResources();

/** A connection to the test Redis through `url` (the proxy), with the worker's retry settings. */
function connectThrough(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(20 * times, 200) });
}

describe('refresh lock: an acquire re-sent after a reconnect', () => {
  it('takes the lock when its first send took effect but the answer was lost', async () => {
    const keys = createRedisKeys(uniquePrefix('lock-resend'));
    const lockKey = keys.refreshLock(DOMAIN);
    const proxy = own('proxy', await startReplyDroppingProxy(testRedisUrl(), lockKey), (p) => p.close());
    const client = own('redis:proxied', connectThrough(proxy.url), (r) => r.quit());
    const direct = own('redis:direct', newRedis(), (r) => r.quit());
    await client.ping();

    const lock = createRefreshLock(client, lockKey, 10_000);
    const taken = await lock.acquire();

    // The first acquire ran in Redis, its answer never came back, ioredis reconnected and sent it again.
    expect(proxy.dropped()).toBe(true);
    expect(proxy.marked()).toBeGreaterThanOrEqual(2);
    expect(taken).toEqual({ acquired: true });
    expect(await direct.get(lockKey)).toBe(lock.owner);
    expect(await direct.pttl(lockKey)).toBeGreaterThan(0);
    await lock.release();
    expect(await direct.exists(lockKey)).toBe(0);
  });

  it('an acquire that finds its own owner value renews the TTL; another owner still finds the lock taken', async () => {
    const redis = own('redis', newRedis(), (r) => r.quit());
    const lockKey = createRedisKeys(uniquePrefix('lock-own')).refreshLock(DOMAIN);
    const mine = createRefreshLock(redis, lockKey, 10_000);
    const theirs = createRefreshLock(redis, lockKey, 10_000);

    expect(await mine.acquire()).toEqual({ acquired: true });
    await redis.pexpire(lockKey, 1_000); // as if the re-send came late in the lock's life
    expect(await mine.acquire()).toEqual({ acquired: true });
    expect(await redis.pttl(lockKey)).toBeGreaterThan(1_000); // the holder has its whole TTL from the answer on
    expect(await theirs.acquire()).toEqual({ acquired: false, holder: mine.owner });
    expect(await mine.isHeld()).toBe(true);
    expect(await theirs.isHeld()).toBe(false);

    await theirs.release(); // not the holder: nothing happens
    expect(await redis.get(lockKey)).toBe(mine.owner);
    await mine.release();
    expect(await theirs.acquire()).toEqual({ acquired: true });
  });

  it('a worker whose acquire was re-sent refreshes at once instead of waiting out its own lock', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const lockTtlMs = 5_000;
    const proxy = env.adopt(
      'proxy',
      await startReplyDroppingProxy(testRedisUrl(), env.keys.refreshLock(DOMAIN)),
      (p) => p.close(),
    );
    const client = env.adopt('redis:proxied', connectThrough(proxy.url), (r) => r.quit());
    let sleeps = 0;
    const manager = createTokenManager({
      redis: client,
      keys: env.keys,
      portalStore: createPortalStore({ redis: client, keys: env.keys }),
      refresh: env.refresher(),
      lockTtlMs,
      refreshBeforeMs: 60_000,
      sleep: async (ms) => {
        sleeps++; // a poll: the worker found the lock held and waits for the holder
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });

    const result = await manager.targetFor(DOMAIN);

    expect(proxy.dropped()).toBe(true);
    expect(sleeps).toBe(0); // it never waited on a lock it held itself
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(accessTokenOf(result)).toBe(env.sim.portal(DOMAIN).currentAccessToken);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0); // released
  });
});
