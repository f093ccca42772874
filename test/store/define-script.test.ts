import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineScript, execWithScripts, type LuaScript } from '../../src/redis/define-script.js';
import { type RedisServerHandle, startRedisServer } from '../../src/redis/start-redis-server.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore } from '../../src/store/result-store.js';
import { uniquePrefix } from '../support/redis.js';

/** KEYS: counter. ARGV: step. Returns the new value. */
const INCR_BY: LuaScript = {
  name: 'TestIncrBy',
  numberOfKeys: 1,
  lua: `
return redis.call('INCRBY', KEYS[1], ARGV[1])
`,
};

// SCRIPT FLUSH empties the script cache of the whole server: these tests use a server of their own so that
// the run's shared server (and the tests using it meanwhile) never see it.
let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

async function withClient(use: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    await use(redis);
  } finally {
    await redis.quit();
  }
}

async function cachedScripts(redis: Redis, lua: string): Promise<number> {
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha1').update(lua).digest('hex');
  const [exists] = (await redis.script('EXISTS', sha)) as number[];
  return exists ?? 0;
}

describe('defineScript (the one Lua loader)', () => {
  it('runs a script again after SCRIPT FLUSH (NOSCRIPT), in a single call', async () => {
    await withClient(async (redis) => {
      const key = `${uniquePrefix('ds')}:n`;
      const incr = defineScript(redis, INCR_BY);
      expect(await incr.run([key], [2])).toBe(2);
      expect(await cachedScripts(redis, INCR_BY.lua)).toBe(1);
      await redis.script('FLUSH');
      expect(await cachedScripts(redis, INCR_BY.lua)).toBe(0);
      expect(await incr.run([key], [3])).toBe(5);
      expect(await cachedScripts(redis, INCR_BY.lua)).toBe(1);
    });
  });

  it('runs scripts again after SCRIPT FLUSH inside a pipeline, in order, with execWithScripts', async () => {
    await withClient(async (redis) => {
      const key = `${uniquePrefix('ds')}:n`;
      const incr = defineScript(redis, INCR_BY);
      expect(await incr.run([key], [1])).toBe(1);
      await redis.script('FLUSH');
      const pipeline = redis.pipeline();
      for (let i = 0; i < 5; i++) incr.queue(pipeline, [key], [1]);
      pipeline.get(key);
      expect(await execWithScripts(pipeline, [incr])).toEqual([
        [null, 2],
        [null, 3],
        [null, 4],
        [null, 5],
        [null, 6],
        [null, '6'],
      ]);
    });
  });

  it('runs a MULTI holding a script atomically after SCRIPT FLUSH, with execWithScripts', async () => {
    await withClient(async (redis) => {
      const key = `${uniquePrefix('ds')}:n`;
      const incr = defineScript(redis, INCR_BY);
      expect(await incr.run([key], [1])).toBe(1);
      await redis.script('FLUSH');
      const multi = redis.multi();
      incr.queue(multi, [key], [1]);
      multi.get(key);
      expect(await execWithScripts(multi, [incr])).toEqual([
        [null, 2],
        [null, '2'],
      ]);
    });
  });

  // Why execWithScripts exists: what ioredis 5 does on its own with a NOSCRIPT inside a batch. Should an
  // ioredis upgrade change this, these expectations fail and execWithScripts may be simplified.
  it('without it, ioredis re-sends a flushed script after the pipeline and drops it from a MULTI', async () => {
    await withClient(async (redis) => {
      const key = `${uniquePrefix('ds')}:n`;
      const incr = defineScript(redis, INCR_BY);
      expect(await incr.run([key], [1])).toBe(1);
      await redis.script('FLUSH');
      const pipeline = redis.pipeline();
      incr.queue(pipeline, [key], [1]);
      pipeline.get(key);
      expect(await pipeline.exec()).toEqual([
        [null, 2],
        [null, '1'], // the GET ran before the script's re-send
      ]);
      await redis.script('FLUSH');
      const multi = redis.multi();
      incr.queue(multi, [key], [1]);
      multi.get(key);
      const replies = (await multi.exec()) ?? [];
      expect(String(replies[0]?.[0])).toMatch(/NOSCRIPT/);
      expect(replies[1]).toEqual([null, '2']); // the transaction committed without the script
      expect(await redis.get(key)).toBe('2');
    });
  });

  it("the result store's pipelined scripts recover after SCRIPT FLUSH", async () => {
    await withClient(async (redis) => {
      const keys = createRedisKeys(uniquePrefix('ds'));
      const store = createResultStore({ redis, keys });
      const pairs = Array.from({ length: 50 }, (_, i) => ({
        domain: 'a.bitrix24.com',
        code: `app${i}`,
        defHash: 'h1',
        portalParked: false,
      }));
      expect(new Set(await store.requestPresent(pairs))).toEqual(new Set(['queued']));
      await redis.script('FLUSH');
      expect(new Set(await store.requestPresent(pairs))).toEqual(new Set(['already_pending']));
      await redis.script('FLUSH');
      expect(new Set(await store.requestAbsent(pairs))).toEqual(new Set(['nothing_to_call']));
      expect((await store.countsByState()).unregistered).toBe(50);
    });
  });

  it('one definition per client and script text; a wrong KEYS count is refused before Redis sees it', async () => {
    await withClient(async (redis) => {
      const first = defineScript(redis, INCR_BY);
      const again = defineScript(redis, INCR_BY);
      const key = `${uniquePrefix('ds')}:n`;
      await first.run([key], [1]);
      expect(await again.run([key], [1])).toBe(2);
      await expect(first.run([], [1])).rejects.toThrow(/takes 1 keys, got 0/);
      expect(() => first.queue(redis.pipeline(), [key, key], [1])).toThrow(/takes 1 keys, got 2/);
    });
  });
});
