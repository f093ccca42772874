import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyIdOf, type SecretKey } from '../../src/config/secret-key.js';
import { type PortalEntry, portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createKeyringSecretCodec } from '../../src/secrets/keyring-secret-codec.js';
import { createPortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys, type RedisKeys } from '../../src/store/redis-keys.js';
import { rotatePortalSecrets } from '../../src/store/rotate-portal-secrets.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

const SEALED = /^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

function newKey(): SecretKey {
  const bytes = randomBytes(32);
  return { kid: keyIdOf(bytes), bytes };
}

function portals(count: number, tag: string): PortalEntry[] {
  return portalsFileSchema({ allowHttp: false }).parse(
    Array.from({ length: count }, (_, i) =>
      i % 3 === 2
        ? {
            domain: `p${i}.example.com`,
            botId: 1,
            auth: {
              type: 'webhook',
              url: `https://p${i}.example.com/rest/1/hook${tag}${i}code/`,
              clientId: 'test-app',
            },
          }
        : {
            domain: `p${i}.example.com`,
            botId: 1,
            auth: {
              type: 'oauth',
              accessToken: `access-${tag}-${i}`,
              refreshToken: `refresh-${tag}-${i}`,
              expiresAt: '2030-01-01T00:00:00Z',
            },
          },
    ),
  );
}

function secretsOf(entries: readonly PortalEntry[]): string[] {
  return entries.flatMap((e) =>
    e.auth.type === 'oauth'
      ? [e.auth.accessToken, e.auth.refreshToken]
      : e.auth.type === 'webhook'
        ? [e.auth.url]
        : [],
  );
}

let redis: Redis;
let keys: RedisKeys;
beforeEach(() => {
  redis = newRedis();
  keys = createRedisKeys(uniquePrefix('secrets'));
});
afterEach(async () => {
  await redis.quit();
});

async function rawPortal(domain: string): Promise<Record<string, string>> {
  return await redis.hgetall(keys.portal(domain));
}

describe('portal store with the AES-256-GCM codec', () => {
  it('stores tokens and webhook URLs sealed and reads them back', async () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    const store = createPortalStore({ redis, keys, codec });
    const entries = portals(3, 'a');
    await store.importPortals(entries);
    const oauth = await rawPortal('p0.example.com');
    expect(oauth['accessToken']).toMatch(SEALED);
    expect(oauth['refreshToken']).toMatch(SEALED);
    const hook = await rawPortal('p2.example.com');
    expect(hook['webhookUrl']).toMatch(SEALED);
    expect(hook['accessToken']).toBe('');
    for (const value of Object.values({ ...oauth, ...hook })) {
      for (const secret of secretsOf(entries)) expect(value).not.toContain(secret);
    }
    expect((await store.get('p0.example.com'))?.auth).toEqual({
      type: 'oauth',
      accessToken: 'access-a-0',
      refreshToken: 'refresh-a-0',
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    expect((await store.get('p2.example.com'))?.auth).toMatchObject({
      type: 'webhook',
      webhookUrl: 'https://p2.example.com/rest/1/hooka2code/',
    });
  });

  it('reads plaintext stored before encryption as is and seals it on the next write', async () => {
    const entries = portals(1, 'legacy');
    await createPortalStore({ redis, keys }).importPortals(entries); // no codec: plaintext, as before
    expect((await rawPortal('p0.example.com'))['accessToken']).toBe('access-legacy-0');

    const store = createPortalStore({ redis, keys, codec: createKeyringSecretCodec({ current: newKey() }) });
    const before = await store.get('p0.example.com');
    expect(before?.auth).toMatchObject({ accessToken: 'access-legacy-0', refreshToken: 'refresh-legacy-0' });
    const saved = await store.saveRefreshedTokens('p0.example.com', before?.credVersion ?? -1, {
      accessToken: 'access-new',
      refreshToken: 'refresh-new',
      expiresAt: 1,
    });
    expect(saved).toBe(true);
    const raw = await rawPortal('p0.example.com');
    expect(raw['accessToken']).toMatch(SEALED);
    expect(raw['refreshToken']).toMatch(SEALED);
    expect((await store.get('p0.example.com'))?.auth).toMatchObject({ accessToken: 'access-new' });
  });

  it('reads values sealed with the previous key after the key changed', async () => {
    const old = newKey();
    await createPortalStore({ redis, keys, codec: createKeyringSecretCodec({ current: old }) }).importPortals(
      portals(1, 'old'),
    );
    const current = newKey();
    const rotated = createPortalStore({
      redis,
      keys,
      codec: createKeyringSecretCodec({ current, previous: [old] }),
    });
    expect((await rotated.get('p0.example.com'))?.auth).toMatchObject({ accessToken: 'access-old-0' });
    const withoutOld = createPortalStore({ redis, keys, codec: createKeyringSecretCodec({ current }) });
    await expect(withoutOld.get('p0.example.com')).rejects.toMatchObject({
      name: 'SecretOpenError',
      reason: 'unknown_key',
    });
  });
});

describe('rotatePortalSecrets', () => {
  it('re-seals plaintext and old-key values with the current key, atomically per portal, and is idempotent', async () => {
    const old = newKey();
    const current = newKey();
    const legacy = portals(3, 'plain'); // p0..p2 in plaintext
    await createPortalStore({ redis, keys }).importPortals(legacy);
    const sealedOld = portals(6, 'old').slice(3); // p3..p5 sealed with the old key
    await createPortalStore({ redis, keys, codec: createKeyringSecretCodec({ current: old }) }).importPortals(
      sealedOld,
    );
    const codec = createKeyringSecretCodec({ current, previous: [old] });
    const fresh = portals(8, 'new').slice(6); // p6..p7 already sealed with the current key
    await createPortalStore({ redis, keys, codec }).importPortals(fresh);
    const before = await redis.hgetall(keys.portal('p6.example.com'));

    const dry = await rotatePortalSecrets({ redis, keys, codec, dryRun: true });
    expect(dry).toMatchObject({ portals: 8, resealed: 6, alreadyCurrent: 2, failed: [] });
    expect((await rawPortal('p0.example.com'))['accessToken']).toBe('access-plain-0');

    const summary = await rotatePortalSecrets({ redis, keys, codec });
    // 4 OAuth portals x 2 tokens + 2 webhook portals x 1 URL.
    expect(summary).toEqual({
      portals: 8,
      resealed: 6,
      values: 10,
      alreadyCurrent: 2,
      failed: [],
      dropped: [],
    });
    for (let i = 0; i < 8; i++) {
      const raw = await rawPortal(`p${i}.example.com`);
      const field = i % 3 === 2 ? 'webhookUrl' : 'accessToken';
      expect(raw[field]?.split(':')[1], `p${i}`).toBe(current.kid);
    }
    expect(await redis.hgetall(keys.portal('p6.example.com'))).toEqual(before);

    // Only the current key is needed now, and the stored credentials are unchanged.
    const store = createPortalStore({ redis, keys, codec: createKeyringSecretCodec({ current }) });
    expect((await store.get('p0.example.com'))?.auth).toMatchObject({ accessToken: 'access-plain-0' });
    expect((await store.get('p4.example.com'))?.auth).toMatchObject({ refreshToken: 'refresh-old-4' });
    expect((await store.get('p5.example.com'))?.auth).toMatchObject({
      webhookUrl: 'https://p5.example.com/rest/1/hookold5code/',
    });
    expect((await store.get('p0.example.com'))?.credVersion).toBe(1);

    const again = await rotatePortalSecrets({ redis, keys, codec });
    expect(again).toEqual({ portals: 8, resealed: 0, values: 0, alreadyCurrent: 8, failed: [], dropped: [] });
  });

  it('leaves a portal sealed with an unknown key untouched and reports it by domain', async () => {
    const stranger = newKey();
    const entries = portals(2, 'x');
    await createPortalStore({
      redis,
      keys,
      codec: createKeyringSecretCodec({ current: stranger }),
    }).importPortals(entries.slice(0, 1));
    await createPortalStore({ redis, keys }).importPortals(entries.slice(1));
    const before = await rawPortal('p0.example.com');
    const codec = createKeyringSecretCodec({ current: newKey() });
    const summary = await rotatePortalSecrets({ redis, keys, codec });
    expect(summary.resealed).toBe(1);
    expect(summary.failed).toEqual([
      { domain: 'p0.example.com', reason: expect.stringContaining(stranger.kid) },
    ]);
    expect(await rawPortal('p0.example.com')).toEqual(before);
  });

  it('never overwrites a token refreshed between its read and its write: it reads again', async () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    await createPortalStore({ redis, keys }).importPortals(portals(1, 'race'));
    const key = keys.portal('p0.example.com');
    let race: { field: string; value: string } | undefined;
    // A worker stores a refreshed token while the rotation computes its values (same connection, so the
    // write lands between the rotation's read and its compare-and-set).
    const racing = {
      ...codec,
      seal(plain: string): string {
        if (race) void redis.hset(key, race.field, codec.seal(race.value));
        race = undefined;
        return codec.seal(plain);
      },
    };
    race = { field: 'accessToken', value: 'access-refreshed' };
    const once = await rotatePortalSecrets({ redis, keys, codec: racing, maxAttempts: 1 });
    expect(once.failed).toEqual([{ domain: 'p0.example.com', reason: expect.stringContaining('changed') }]);
    expect((await rawPortal('p0.example.com'))['refreshToken']).toBe('refresh-race-0'); // nothing written

    race = { field: 'refreshToken', value: 'refresh-refreshed' };
    const summary = await rotatePortalSecrets({ redis, keys, codec: racing, maxAttempts: 2 });
    // The compare-and-set failed, the second attempt read the worker's values: already current, nothing stale written.
    expect(summary).toMatchObject({ resealed: 0, alreadyCurrent: 1, failed: [] });
    expect(race).toBeUndefined();
    const store = createPortalStore({ redis, keys, codec });
    expect((await store.get('p0.example.com'))?.auth).toMatchObject({
      accessToken: 'access-refreshed',
      refreshToken: 'refresh-refreshed',
    });
  });
});
