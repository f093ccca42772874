import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { addPairJobs } from '../../src/pipeline/add-pair-jobs.js';
import { type PairJob, pairJobId, ROLLOUT_QUEUE } from '../../src/pipeline/pair-job.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

let queue: Queue<PairJob> | undefined;
let worker: Worker<PairJob> | undefined;
const clients: Redis[] = [];

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await queue?.obliterate({ force: true });
  await queue?.close();
  queue = undefined;
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

function openQueue(prefix: string): Queue<PairJob> {
  const connection = newRedis();
  clients.push(connection);
  queue = new Queue<PairJob>(ROLLOUT_QUEUE, { connection, prefix: createRedisKeys(prefix).queuePrefix });
  return queue;
}

const pairs = (domain: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ domain, code: `app${i}` }));

describe('addPairJobs', () => {
  it("queues each portal's first pair unprioritized and its n-th pair at priority n-1, counting across calls", async () => {
    const q = openQueue(uniquePrefix('jobs'));
    const positions = new Map<string, number>();
    await addPairJobs(q, [...pairs('a.test', 2), { domain: 'b.test', code: 'app0' }], positions);
    await addPairJobs(q, [{ domain: 'a.test', code: 'app2' }], positions);

    const priorityOf = async (domain: string, code: string) =>
      (await q.getJob(pairJobId(domain, code)))?.opts.priority ?? 0;
    expect(await priorityOf('a.test', 'app0')).toBe(0);
    expect(await priorityOf('a.test', 'app1')).toBe(1);
    expect(await priorityOf('a.test', 'app2')).toBe(2);
    expect(await priorityOf('b.test', 'app0')).toBe(0);
    expect(await q.getJobCounts('waiting', 'prioritized')).toMatchObject({ waiting: 2, prioritized: 2 });
  });

  it('serves portals queued after a big backlog before the rest of that backlog', async () => {
    const prefix = uniquePrefix('fair');
    const q = openQueue(prefix);
    await addPairJobs(q, pairs('big.test', 50));
    await addPairJobs(
      q,
      Array.from({ length: 5 }, (_, i) => ({ domain: `small-${i}.test`, code: 'app0' })),
    );

    const order: string[] = [];
    const connection = newRedis();
    clients.push(connection);
    await new Promise<void>((resolve) => {
      worker = new Worker<PairJob>(
        ROLLOUT_QUEUE,
        async (job) => {
          order.push(job.data.domain);
          if (order.length === 55) resolve();
        },
        { connection, prefix: createRedisKeys(prefix).queuePrefix, concurrency: 1 },
      );
    });
    // The big portal's first pair, then every small portal, then the big portal's backlog in order.
    expect(order.slice(0, 6)).toEqual([
      'big.test',
      ...Array.from({ length: 5 }, (_, i) => `small-${i}.test`),
    ]);
    expect(order.slice(6)).toEqual(Array(49).fill('big.test'));
  });
});
