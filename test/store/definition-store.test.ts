import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppDefinition, appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { createDefinitionStore } from '../../src/store/definition-store.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

let redis: Redis | undefined;
afterEach(async () => {
  await redis?.quit();
  redis = undefined;
});

const app = (code: string, icon = ''): AppDefinition =>
  appDefinitionSchema.parse({
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: '/help',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: `Title ${code}`, DESCRIPTION: icon }],
  });

describe('definition store', () => {
  it('reads a definition from Redis once per process, and hands every caller its own copy', async () => {
    redis = newRedis();
    const keys = createRedisKeys(uniquePrefix('defs'));
    const store = createDefinitionStore({ redis, keys });
    await store.save('h1', app('echo'));
    const first = await store.get('h1');
    expect(first?.CODE).toBe('echo');

    // Immutable by hash: once read, it is served from memory (the key is gone, the definition is not).
    await redis.del(keys.definition('h1'));
    const second = await store.get('h1');
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    const lang = second?.LANG?.[0];
    if (lang) lang.TITLE = 'changed by a caller';
    expect((await store.get('h1'))?.LANG?.[0]?.TITLE).toBe('Title echo');
  });

  it('does not remember a missing definition, and drops the oldest entries past its byte budget', async () => {
    redis = newRedis();
    const keys = createRedisKeys(uniquePrefix('defs'));
    const store = createDefinitionStore({ redis, keys });
    expect(await store.get('late')).toBeUndefined();
    await store.save('late', app('late'));
    expect((await store.get('late'))?.CODE).toBe('late');

    // Nine definitions of ~1 MB each exceed the 8 MB budget: the first one read is forgotten.
    const big = 'x'.repeat(900);
    for (let i = 0; i < 9; i++) {
      await redis.set(
        keys.definition(`big${i}`),
        JSON.stringify({ ...app(`big${i}`), PAD: big.repeat(1_100) }),
      );
      expect((await store.get(`big${i}`))?.CODE).toBe(`big${i}`);
    }
    await redis.del(
      keys.definition('late'),
      ...Array.from({ length: 9 }, (_, i) => keys.definition(`big${i}`)),
    );
    expect(await store.get('late')).toBeUndefined();
    expect(await store.get('big0')).toBeUndefined();
    expect((await store.get('big8'))?.CODE).toBe('big8');
  });
});
