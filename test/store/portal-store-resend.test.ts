import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createPortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, newRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startReplyDroppingProxy } from '../support/start-reply-dropping-proxy.js';

installLeakCheck();

const DOMAIN = 'resent.example.com';

const own = useOwnedResources();

/** The pair tagged `old` was issued before every other one (an import never goes back in time). */
function entry(tag: string) {
  return portalsFileSchema({ allowHttp: false }).parse([
    {
      domain: DOMAIN,
      botId: 1,
      auth: {
        type: 'oauth',
        accessToken: `access-${tag}`,
        refreshToken: `refresh-${tag}`,
        expiresAt: tag === 'old' ? '2030-01-01T00:00:00Z' : '2030-06-01T00:00:00Z',
      },
    },
  ]);
}

/**
 * A store whose connection loses the answer to the first command carrying `marker` (after Redis ran it), so
 * ioredis re-sends that command after reconnecting, and a direct connection to look at what is stored.
 */
async function storeLosingOneAnswer(marker: string) {
  const keys = createRedisKeys(uniquePrefix('resend'));
  const proxy = own('proxy', await startReplyDroppingProxy(testRedisUrl(), marker), (p) => p.close());
  const client = own(
    'redis:proxied',
    new Redis(proxy.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(20 * times, 200) }),
    (r) => r.quit(),
  );
  const direct = own('redis:direct', newRedis(), (r) => r.quit());
  await client.ping();
  return { keys, proxy, store: createPortalStore({ redis: client, keys }), direct };
}

describe('portal store writes re-sent by ioredis after a lost answer', () => {
  it('an import whose script answer was lost still reports and indexes the credentials it replaced', async () => {
    // The file's new access token travels only in the import script's arguments (not in its read).
    const { keys, proxy, store, direct } = await storeLosingOneAnswer('access-new');
    await createPortalStore({ redis: direct, keys }).importPortals(entry('old'));

    const summary = await store.importPortals(entry('new'));

    expect(proxy.dropped()).toBe(true);
    expect(proxy.marked()).toBeGreaterThanOrEqual(2); // sent again after the reconnect
    expect(summary).toMatchObject({ updated: 1, credentialsReplaced: [DOMAIN], credentialsKept: [] });
    const stored = await createPortalStore({ redis: direct, keys }).get(DOMAIN);
    expect(stored?.auth).toMatchObject({ accessToken: 'access-new', refreshToken: 'refresh-new' });
    expect(stored?.credVersion).toBe(2); // once for the first import, once for this one: not twice
    expect(await direct.zscore(keys.credentialsByRefresh, DOMAIN)).not.toBeNull();
  });

  it('a refresh whose save answer was lost still counts as saved', async () => {
    const { keys, proxy, store, direct } = await storeLosingOneAnswer('refresh-refreshed');
    await createPortalStore({ redis: direct, keys }).importPortals(entry('old'));
    const read = await store.get(DOMAIN);
    if (read === undefined) throw new Error('portal not imported');

    const saved = await store.saveRefreshedTokens(DOMAIN, read.credVersion, {
      accessToken: 'access-refreshed',
      refreshToken: 'refresh-refreshed',
      expiresAt: 1_900_000_000_000,
    });

    expect(proxy.dropped()).toBe(true);
    expect(proxy.marked()).toBeGreaterThanOrEqual(2);
    expect(saved).toBe(true);
    const stored = await createPortalStore({ redis: direct, keys }).get(DOMAIN);
    expect(stored?.auth).toMatchObject({
      accessToken: 'access-refreshed',
      refreshToken: 'refresh-refreshed',
    });
    expect(stored?.credVersion).toBe(read.credVersion + 1);
    expect(await direct.zscore(keys.keepAliveDue, DOMAIN)).not.toBeNull();
  });
});
