import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type PairJob, pairJobId, ROLLOUT_QUEUE } from '../../src/pipeline/pair-job.js';
import { isJobNotDelayedError, retimeDelayedJob } from '../../src/pipeline/retime-delayed-job.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

let queue: Queue<PairJob> | undefined;
const clients: Redis[] = [];

afterEach(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined); // the broken-key test leaves a bad key
  await queue?.close();
  queue = undefined;
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

function openQueue(): Queue<PairJob> {
  const connection = newRedis();
  clients.push(connection);
  queue = new Queue<PairJob>(ROLLOUT_QUEUE, {
    connection,
    prefix: createRedisKeys(uniquePrefix('retime')).queuePrefix,
  });
  return queue;
}

const HOUR = 3_600_000;

async function addJob(q: Queue<PairJob>, code: string, delay: number): Promise<Job<PairJob>> {
  const data = { domain: 'retime.test', code };
  return await q.add('pair', data, { jobId: pairJobId(data.domain, code), ...(delay > 0 ? { delay } : {}) });
}

describe('isJobNotDelayedError', () => {
  it.each([
    ['Job a.test:app1 is not in the delayed state. promote', true],
    ['Job a.test:app1 is not in the delayed state. changeDelay', true],
    ['Missing key for job a.test:app1. changeDelay', true],
    ['Missing key for job a.test:app1. promote', true],
    ['Job a.test:app1 is not in the active state. moveToDelayed', false],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', false],
    ['Connection is closed.', false],
  ])('%s -> %s', (message, expected) => {
    expect(isJobNotDelayedError(new Error(message))).toBe(expected);
  });

  it('is false for what is not an Error', () => {
    expect(isJobNotDelayedError('Job x is not in the delayed state. promote')).toBe(false);
  });
});

describe('retimeDelayedJob', () => {
  it('promotes a delayed job whose time has come, and moves a later one, logging nothing', async () => {
    const q = openQueue();
    const { logger, lines } = captureLogger();
    const now = Date.now();
    const soon = await addJob(q, 'soon', HOUR);
    const later = await addJob(q, 'later', HOUR);

    await retimeDelayedJob(soon, now - 1, now, logger);
    await retimeDelayedJob(later, now + 2 * HOUR, now, logger);

    expect(await soon.getState()).toBe('waiting');
    expect(await later.getState()).toBe('delayed');
    expect((await q.getJob(later.id ?? ''))?.delay).toBe(2 * HOUR);
    expect(lines()).toBe('');
  });

  it('leaves a waiting job and a job that is gone alone, logging nothing (the expected "not delayed")', async () => {
    const q = openQueue();
    const { logger, lines } = captureLogger();
    const now = Date.now();
    const waiting = await addJob(q, 'waiting', 0);
    const gone = new Job<PairJob>(q, 'pair', { domain: 'retime.test', code: 'gone' }, {}, 'retime.test:gone');

    for (const job of [waiting, gone]) {
      await retimeDelayedJob(job, now - 1, now, logger);
      await retimeDelayedJob(job, now + HOUR, now, logger);
    }

    expect(await waiting.getState()).toBe('waiting');
    expect(lines()).toBe('');
  });

  it('logs any other failure with the job id, and does not throw', async () => {
    const q = openQueue();
    const { logger, lines } = captureLogger();
    const now = Date.now();
    const job = await addJob(q, 'broken', HOUR);
    // The delayed set replaced by a string: BullMQ's promote script fails with WRONGTYPE, not "not delayed".
    const delayedKey = q.keys['delayed'] ?? '';
    const redis = await q.client;
    await redis.del(delayedKey);
    await redis.set(delayedKey, 'not a sorted set');

    await retimeDelayedJob(job, now - 1, now, logger);

    const logged = lines()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 40,
      jobId: job.id,
      op: 'promote',
      msg: 'could not re-time a delayed job: it runs at its old time',
    });
    expect(JSON.stringify(logged[0]?.['err'])).toContain('WRONGTYPE');
  });
});
