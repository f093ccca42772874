import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PortalEntry, portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { plaintextSecretCodec } from '../../src/secrets/plaintext-secret-codec.js';
import type { SecretCodec } from '../../src/secrets/secret-codec.js';
import { createPortalStore, type PortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys, type RedisKeys } from '../../src/store/redis-keys.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

const DOMAIN = 'race.example.com';

/**
 * One OAuth portal entry; `tag` names its tokens, `botId` stands for the non-credential settings. The pair tagged
 * `old` was issued before REFRESHED, every other one after it (an import never goes back in time).
 */
function entry(
  tag: string,
  botId = 1,
  expiresAt = tag === 'old' ? '2030-01-01T00:00:00Z' : '2030-06-01T00:00:00Z',
): PortalEntry {
  const [parsed] = portalsFileSchema({ allowHttp: false }).parse([
    {
      domain: DOMAIN,
      botId,
      auth: {
        type: 'oauth',
        accessToken: `access-${tag}`,
        refreshToken: `refresh-${tag}`,
        expiresAt,
      },
    },
  ]);
  if (parsed === undefined) throw new Error('no entry parsed');
  return parsed;
}

const REFRESHED = {
  accessToken: 'access-refreshed',
  refreshToken: 'refresh-refreshed',
  expiresAt: 1_900_000_000_000, // 2030-03-17
};

let redis: Redis;
let keys: RedisKeys;
let worker: PortalStore;
beforeEach(() => {
  redis = newRedis();
  keys = createRedisKeys(uniquePrefix('import-race'));
  worker = createPortalStore({ redis, keys });
});
afterEach(async () => {
  await redis.quit();
});

/**
 * A codec that, the first time the import seals a secret, lets `onSeal` run. The import seals the file's tokens
 * after it read the stored portal and before it writes: a command `onSeal` sends on the same connection reaches
 * Redis exactly between the import's read and its write (the technique of test/secrets/sealed-portal-store.test.ts).
 */
function codecRunningOnFirstSeal(onSeal: () => void): SecretCodec {
  let pending: (() => void) | undefined = onSeal;
  return {
    ...plaintextSecretCodec,
    seal(plain) {
      const run = pending;
      pending = undefined;
      run?.();
      return plain;
    },
  };
}

async function storedAuth(store: PortalStore) {
  return (await store.get(DOMAIN))?.auth;
}

describe('portal re-import against concurrent token refreshes', () => {
  it('keeps tokens a worker refreshed between the re-import’s read and its write, and applies the other fields', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    const read = await worker.get(DOMAIN); // the worker read the portal before it refreshed
    if (read === undefined) throw new Error('portal not imported');

    let refreshed: Promise<boolean> | undefined;
    const importer = createPortalStore({
      redis,
      keys,
      codec: codecRunningOnFirstSeal(() => {
        refreshed = worker.saveRefreshedTokens(DOMAIN, read.credVersion, REFRESHED);
      }),
    });
    const summary = await importer.importPortals([entry('new', 7)]);

    expect(await refreshed).toBe(true); // the refresh landed between the read and the write
    // Refresh tokens are single-use: the refreshed pair is the one the server knows now; the file's pair was older.
    expect(await storedAuth(worker)).toEqual({ type: 'oauth', ...REFRESHED });
    expect((await worker.get(DOMAIN))?.botId).toBe(7); // settings follow the file all the same
    expect(summary).toMatchObject({
      updated: 1,
      created: 0,
      credentialsReplaced: [],
      credentialsKept: [DOMAIN],
    });

    // Nothing in between this time: the operator's re-run replaces the credentials.
    const again = await createPortalStore({ redis, keys }).importPortals([entry('new', 7)]);
    expect(again).toMatchObject({ credentialsReplaced: [DOMAIN], credentialsKept: [] });
    expect(await storedAuth(worker)).toMatchObject({
      accessToken: 'access-new',
      refreshToken: 'refresh-new',
    });
  });

  it('replaces the credentials with a new set when nothing changed in between; a refresh of the old set then loses', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    const read = await worker.get(DOMAIN);
    if (read === undefined) throw new Error('portal not imported');

    const summary = await createPortalStore({ redis, keys }).importPortals([entry('reauthorised')]);
    expect(summary).toMatchObject({ credentialsReplaced: [DOMAIN], credentialsKept: [] });
    // The worker's refresh (read before the import) must not overwrite the operator's new pair.
    expect(await worker.saveRefreshedTokens(DOMAIN, read.credVersion, REFRESHED)).toBe(false);
    expect(await storedAuth(worker)).toMatchObject({
      accessToken: 'access-reauthorised',
      refreshToken: 'refresh-reauthorised',
    });
    expect((await worker.get(DOMAIN))?.credVersion).toBe(read.credVersion + 1);
  });

  it('re-importing the same file leaves refreshed tokens alone', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('same')]);
    const read = await worker.get(DOMAIN);
    if (read === undefined) throw new Error('portal not imported');
    expect(await worker.saveRefreshedTokens(DOMAIN, read.credVersion, REFRESHED)).toBe(true);

    const summary = await createPortalStore({ redis, keys }).importPortals([entry('same', 3)]);
    expect(summary).toMatchObject({ updated: 1, credentialsReplaced: [], credentialsKept: [] });
    expect(await storedAuth(worker)).toEqual({ type: 'oauth', ...REFRESHED });
    expect((await worker.get(DOMAIN))?.botId).toBe(3);
  });

  it('two imports of the same new credentials at once: one replaces them, neither reports a kept refresh', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    const other = newRedis();
    try {
      const summaries = await Promise.all([
        createPortalStore({ redis, keys }).importPortals([entry('new')]),
        createPortalStore({ redis: other, keys }).importPortals([entry('new')]),
      ]);
      expect(summaries.flatMap((s) => s.credentialsReplaced)).toEqual([DOMAIN]);
      expect(summaries.flatMap((s) => s.credentialsKept)).toEqual([]);
      expect(await storedAuth(worker)).toMatchObject({
        accessToken: 'access-new',
        refreshToken: 'refresh-new',
      });
    } finally {
      await other.quit();
    }
  });

  it('reports a portal that needed re-authorisation as reactivated when it gets new credentials', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    await worker.markNeedsReauth(DOMAIN, 'invalid_grant: test');
    const summary = await createPortalStore({ redis, keys }).importPortals([entry('new')]);
    expect(summary).toMatchObject({ credentialsReplaced: [DOMAIN], reactivated: [DOMAIN] });
    expect((await worker.get(DOMAIN))?.state).toBe('active');
  });

  it('skips a domain in the portals set that has no portal hash (an import stopped between its two writes)', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    // The set is written first and the hash second (the two are in different slots on Redis Cluster).
    await redis.sadd(keys.portals, 'half-imported.example.com');
    expect(await worker.listDomains()).toEqual([DOMAIN]);
    expect(await worker.get('half-imported.example.com')).toBeUndefined();
  });
});

describe('re-imports never go back in time (issue 18)', () => {
  it('a file whose pair is older than the one a refresh stored keeps the stored pair and names the portal', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    const read = await worker.get(DOMAIN);
    if (read === undefined) throw new Error('portal not imported');
    expect(await worker.saveRefreshedTokens(DOMAIN, read.credVersion, REFRESHED)).toBe(true);

    // A file written before the refresh (its pair expires before the refreshed one), with other settings.
    const stale = entry('stale-file', 5, '2030-02-01T00:00:00Z');
    const summary = await createPortalStore({ redis, keys }).importPortals([stale]);
    expect(summary).toMatchObject({
      credentialsReplaced: [],
      credentialsKeptNewer: [DOMAIN],
      credentialsKept: [],
    });
    expect(await storedAuth(worker)).toEqual({ type: 'oauth', ...REFRESHED });
    expect((await worker.get(DOMAIN))?.botId).toBe(5); // the other fields follow the file

    // The operator says the file is right: --replace-credentials writes it.
    const forced = await createPortalStore({ redis, keys }).importPortals([stale], {
      replaceCredentials: true,
    });
    expect(forced).toMatchObject({ credentialsReplaced: [DOMAIN], credentialsKeptNewer: [] });
    expect(await storedAuth(worker)).toMatchObject({ accessToken: 'access-stale-file' });
  });

  it('a removed portal is skipped until an import of the same file brings it back into keep-alive', async () => {
    await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    expect(await worker.markRemoved(DOMAIN, { by: 'test' })).toBe(true);
    expect(await worker.markRemoved('unknown.example.com', { by: 'test' })).toBe(false);
    expect(await worker.stateOf(DOMAIN)).toBe('removed');
    expect(await redis.zscore(keys.keepAliveDue, DOMAIN)).toBeNull();
    expect(await redis.hget(keys.portal(DOMAIN), 'removedBy')).toBe('test');
    // A refused refresh afterwards does not turn the removal into needs_reauth.
    await worker.markNeedsReauth(DOMAIN, 'invalid_grant: test');
    expect(await worker.stateOf(DOMAIN)).toBe('removed');
    expect([...(await worker.domainsRemoved([DOMAIN, 'other.example.com']))]).toEqual([DOMAIN]);

    const summary = await createPortalStore({ redis, keys }).importPortals([entry('old')]);
    expect(summary).toMatchObject({ restored: [DOMAIN], credentialsReplaced: [] });
    expect(await worker.get(DOMAIN)).toMatchObject({ state: 'active', stateReason: undefined });
    expect(await redis.zscore(keys.keepAliveDue, DOMAIN)).not.toBeNull();
  });
});
