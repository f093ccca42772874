import { describe, expect, it } from 'vitest';
import { rateLimitKeys } from '../../src/ratelimit/rate-limit-keys.js';
import { defineScript, hashTagOf } from '../../src/redis/define-script.js';
import { createRedisKeys, GLOBAL_TAG, planTag, portalTag, RESULTS_TAG } from '../../src/store/redis-keys.js';
import { installLeakCheck, newRedis, track, uniquePrefix, untrack } from '../support/redis.js';

installLeakCheck();

const DOMAIN = 'b24-abc.bitrix24.ru';
const tagOf = (tag: string) => tag.slice(1, -1);

/** Every key of createRedisKeys, each function called with sample arguments (domain, code, ids). */
function everyKey(prefix: string): Map<string, string> {
  const keys = createRedisKeys(prefix);
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(keys)) {
    if (name === 'prefix') continue;
    if (typeof value === 'string') out.set(name, value);
    else if (typeof value === 'function') {
      const args = Array.from({ length: value.length }, (_, i) => (i === 0 ? DOMAIN : `arg${i}`));
      out.set(name, String(Reflect.apply(value, keys, args)));
    }
  }
  return out;
}

describe('key layout: every key carries a Redis Cluster hash tag', () => {
  it('tags every key of redis-keys.ts: the result store, a portal, a saved plan, the globals or the queue', () => {
    // A plan saved through the API (src/plan) keeps its two keys under a tag of its own (one slot per plan).
    const allowed = new Set([
      tagOf(RESULTS_TAG),
      tagOf(GLOBAL_TAG),
      'q',
      tagOf(portalTag(DOMAIN)),
      tagOf(planTag(DOMAIN)),
    ]);
    const keys = everyKey('imbot-rollout');
    expect(keys.size).toBeGreaterThan(20);
    for (const [name, key] of keys) {
      expect(key.startsWith('imbot-rollout:{'), `${name}: ${key}`).toBe(true);
      expect(allowed.has(hashTagOf(key)), `${name}: ${key} has tag ${hashTagOf(key)}`).toBe(true);
    }
  });

  it("keeps the result store in one slot and a portal's credentials, locks and limiter in the portal's", () => {
    const keys = createRedisKeys('p');
    for (const key of [
      keys.result(DOMAIN, 'echo'),
      keys.attempts(DOMAIN, 'echo'),
      keys.due(DOMAIN),
      keys.pairs,
      keys.stateCounts,
      keys.rollout('r1'),
    ]) {
      expect(hashTagOf(key)).toBe('r');
    }
    const portal = hashTagOf(keys.portal(DOMAIN));
    expect(portal).toBe(`p:${DOMAIN}`);
    expect(hashTagOf(keys.refreshLock(DOMAIN))).toBe(portal);
    for (const key of Object.values(rateLimitKeys('p', DOMAIN))) expect(hashTagOf(key)).toBe(portal);
    expect(hashTagOf(keys.portal('other.bitrix24.ru'))).not.toBe(portal);
  });

  it('puts the queue under one tag of its own: BullMQ keys are `<queuePrefix>:<queue>:...`', () => {
    expect(hashTagOf(`${createRedisKeys('p').queuePrefix}:rollout:wait`)).toBe('q');
  });

  it('refuses a script call whose keys have different hash tags, on one server as on a Cluster', async () => {
    const redis = track('redis', newRedis(), (r) => r.quit());
    const keys = createRedisKeys(uniquePrefix('tags'));
    const script = defineScript(redis, {
      name: 'TagProbe',
      numberOfKeys: 2,
      lua: '-- KEYS: two keys. ARGV: none.\nreturn redis.call("EXISTS", KEYS[1], KEYS[2])',
    });
    await expect(script.run([keys.portal(DOMAIN), keys.keyIds], [])).rejects.toThrow(
      /keys .* have different hash tags/,
    );
    await expect(script.run([keys.result(DOMAIN, 'echo'), keys.stateCounts], [])).resolves.toBe(0);
    await redis.quit();
    untrack('redis');
  });
});
