import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { PairJob } from '../../pipeline/pair-job.js';

/** Where bull-board is mounted. */
export const QUEUE_BOARD_PATH = '/queues';

/**
 * The BullMQ queue view: bull-board mounted under /queues (its UI, static files and JSON API), behind the
 * same access control as every other route. Job data holds only {domain, code}: no credential is shown.
 */
export async function queueBoardRoutes(app: FastifyInstance, deps: { queue: Queue<PairJob> }): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(deps.queue, { description: 'one job per portal x app pair' })],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'imbot-rollout',
        miscLinks: [{ text: 'Rollout results', url: '/' }],
        hideRedisDetails: true,
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
}
