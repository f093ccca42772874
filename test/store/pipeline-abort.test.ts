import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore } from '../../src/store/result-store.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, newRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startReplyDroppingProxy } from '../support/start-reply-dropping-proxy.js';

installLeakCheck();

const own = useOwnedResources();

/**
 * A connection that closes after Redis answered part of a pipeline: ioredis aborts the unanswered rest
 * ("Command aborted due to connection close") instead of sending it again, as it does for a lone command. The
 * chaos suite's redis-restart on a Redis Cluster crashed the producer that way (src/redis/define-script.ts,
 * execWithScripts).
 */
describe('a pipeline of result scripts cut by a closed connection', () => {
  it('requestPresent still answers for every pair, counting each once, when only the first answer of its pipeline arrived', async () => {
    const keys = createRedisKeys(uniquePrefix('abort'));
    const marker = 'cut-pipeline.example.com';
    const proxy = own('proxy', await startReplyDroppingProxy(testRedisUrl(), marker, { answered: 1 }), (p) =>
      p.close(),
    );
    const client = own(
      'redis:proxied',
      new Redis(proxy.url, {
        maxRetriesPerRequest: null,
        retryStrategy: (times) => Math.min(20 * times, 200),
      }),
      (r) => r.quit(),
    );
    const direct = own('redis:direct', newRedis(), (r) => r.quit());
    await client.ping();
    const pairs = ['echo', 'help', 'panel'].map((code) => ({
      domain: marker,
      code,
      defHash: `hash-${code}`,
      portalParked: false,
      rolloutId: 'r-abort',
    }));

    const outcomes = await createResultStore({ redis: client, keys }).requestPresent(pairs);

    expect(proxy.dropped()).toBe(true);
    // The first answer arrived. The other two were run again: if Redis had run them (answers lost), they find their
    // pair already pending for this rollout, which the producer queues all the same.
    expect(outcomes[0]).toBe('queued');
    for (const outcome of outcomes.slice(1)) expect(['queued', 'already_pending']).toContain(outcome);
    expect(outcomes).toHaveLength(3);
    const stored = await createResultStore({ redis: direct, keys }).getMany(pairs);
    expect(stored.map((r) => r?.state)).toEqual(['pending', 'pending', 'pending']);
    // Each pair counted once, overall and in its rollout, though two scripts may have run twice.
    const read = createResultStore({ redis: direct, keys });
    expect((await read.countsByState()).pending).toBe(3);
    expect((await read.countsForRollout('r-abort')).pending).toBe(3);
  });
});
