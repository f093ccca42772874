/**
 * A Redis node whose script cache is empty again (restarted, failed over, SCRIPT FLUSH) while a connection
 * believes it holds the scripts: a single script call resends the text by itself (ioredis), but inside a pipeline
 * on a Redis Cluster the calls come back NOSCRIPT (the chaos suite's redis-restart scenario on a cluster hit it).
 * execWithScripts runs those calls again, once each; addPairJobs adds the jobs again (deterministic ids).
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { addPairJobs } from '../../src/pipeline/add-pair-jobs.js';
import { type PairJob, ROLLOUT_QUEUE } from '../../src/pipeline/pair-job.js';
import { defineScript, execWithScripts } from '../../src/redis/define-script.js';
import { connectedDataNodes } from '../../src/redis/redis-client.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { installLeakCheck, newRedis, track, uniquePrefix, untrack } from '../support/redis.js';

installLeakCheck();

const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
  untrack('redis');
});

async function flushScriptCaches(redis: ReturnType<typeof newRedis>): Promise<void> {
  for (const node of await connectedDataNodes(redis)) await node.script('FLUSH');
}

describe('script cache lost under a connection', () => {
  it('runs each pipelined script call answered NOSCRIPT again, once, in order of the replies', async () => {
    const redis = track('redis', newRedis(), (r) => r.quit());
    opened.push({ close: () => redis.quit() });
    const keys = createRedisKeys(uniquePrefix('noscript'));
    const incr = defineScript(redis, {
      name: 'IncrProbe',
      numberOfKeys: 1,
      lua: '-- KEYS: a counter. ARGV: none.\nreturn redis.call("INCR", KEYS[1])',
    });
    const counters = Array.from({ length: 10 }, (_, i) => `${keys.stateCounts}:${i}`);
    await incr.run([counters[0] ?? ''], []); // this connection now sends EVALSHA only
    await flushScriptCaches(redis);
    const pipeline = redis.pipeline();
    for (const key of counters) incr.queue(pipeline, [key], []);
    // No load before the batch (as when the node restarts between the load and the batch).
    const replies = await execWithScripts(pipeline, []);
    expect(replies).toEqual(counters.map((_, i) => [null, i === 0 ? 2 : 1]));
    expect(await Promise.all(counters.map((key) => redis.get(key)))).toEqual(
      counters.map((_, i) => (i === 0 ? '2' : '1')),
    );
  });

  it('adds the pair jobs again when the queue node lost BullMQ scripts, each job once', async () => {
    const redis = track('redis', newRedis(), (r) => r.quit());
    opened.push({ close: () => redis.quit() });
    const keys = createRedisKeys(uniquePrefix('noscript-q'));
    const queue = new Queue<PairJob>(ROLLOUT_QUEUE, { connection: redis, prefix: keys.queuePrefix });
    opened.push({ close: () => queue.obliterate({ force: true }).then(() => queue.close()) });
    await addPairJobs(queue, [{ domain: 'a.bitrix24.ru', code: 'echo' }]);
    await flushScriptCaches(redis);
    const pairs = Array.from({ length: 20 }, (_, i) => ({ domain: `p${i}.bitrix24.ru`, code: 'echo' }));
    await addPairJobs(queue, pairs);
    await addPairJobs(queue, pairs); // again: no second job for a pair
    const counts = await queue.getJobCounts('waiting', 'prioritized');
    expect((counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0)).toBe(21);
  });
});
