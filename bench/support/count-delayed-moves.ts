import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ROLLOUT_QUEUE } from '../../src/pipeline/pair-job.js';

export interface DelayedMoves {
  /** Jobs moved to the delayed set since the counter started (BullMQ `delayed` events). */
  count(): number;
  close(): Promise<void>;
}

/**
 * Counts moves to the delayed set of the rollout queue under `prefix` from BullMQ's event stream, independent of
 * the pipeline's own metrics. Resolves once it listens: start it before enqueueing.
 */
export async function countDelayedMoves(redisUrl: string, prefix: string): Promise<DelayedMoves> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(ROLLOUT_QUEUE, { connection, prefix });
  let moves = 0;
  events.on('delayed', () => {
    moves++;
  });
  await events.waitUntilReady();
  return {
    count: () => moves,
    async close() {
      await events.close();
      await connection.quit();
    },
  };
}
