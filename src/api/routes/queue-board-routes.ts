import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { PairJob } from '../../pipeline/pair-job.js';

/** Where bull-board is mounted. */
export const QUEUE_BOARD_PATH = '/queues';

/**
 * The board's Content-Security-Policy: its page loads its own scripts and styles from /queues/static and talks to
 * /queues/api only. `base-uri 'self'` because the page sets `<base href="/queues/">`; `style-src 'unsafe-inline'`
 * for the style attributes React writes. Anything from elsewhere (bull-board links a Google Fonts stylesheet) is
 * blocked: the board then uses a local font, and no request leaves for a third party.
 */
export const QUEUE_BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "base-uri 'self'";

/** Only these methods read; anything else changes the queue (add, edit, retry, promote, clean, empty, pause...). */
const READ_METHODS = new Set(['GET', 'HEAD']);

export interface QueueBoardOptions {
  queue: Queue<PairJob>;
  /**
   * ROLLOUT_QUEUE_BOARD_WRITE=1 (config `api.queueBoardWrite`): the board may change the queue. Off by default:
   * adding or editing a job, emptying, pausing, cleaning, retrying or promoting through the board all bypass the
   * rollout's own bookkeeping (a job added by hand registers an app no result records).
   */
  write: boolean;
}

/**
 * The BullMQ queue view: bull-board mounted under /queues (its UI, static files and JSON API), behind the
 * same access control as every other route. Job data holds only {domain, code}: no credential is shown.
 *
 * Read-only unless `write`: bull-board's own read-only mode (queue option `readOnlyMode`, README of
 * https://github.com/felixmosh/bull-board, "Queue options") hides the buttons and refuses the per-queue actions
 * with 405, and every request under /queues other than GET/HEAD is refused here as well (its pause-all and
 * resume-all routes answer 200 for read-only queues, and a future route is covered before it exists).
 * Pages and API answers are `no-store` and carry {@link QUEUE_BOARD_CSP}.
 */
export async function queueBoardRoutes(app: FastifyInstance, deps: QueueBoardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: [
      new BullMQAdapter(deps.queue, {
        description: deps.write
          ? 'one job per portal x app pair'
          : 'one job per portal x app pair (read-only board: ROLLOUT_QUEUE_BOARD_WRITE=1 allows changes)',
        readOnlyMode: !deps.write,
      }),
    ],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'imbot-rollout',
        miscLinks: [{ text: 'Rollout results', url: '/' }],
        hideRedisDetails: true,
      },
    },
  });
  await app.register(
    async (board) => {
      if (!deps.write) {
        board.addHook('onRequest', async (request, reply) => {
          if (READ_METHODS.has(request.method)) return;
          await reply
            .code(405)
            .header('allow', 'GET, HEAD')
            .send({
              error: 'read_only',
              message:
                'the queue board is read-only: serve with ROLLOUT_QUEUE_BOARD_WRITE=1 to change the queue from it ' +
                '(resume a paused queue with `imbot-rollout queue --resume`)',
            });
          return reply;
        });
      }
      board.addHook('onSend', async (request, reply) => {
        reply.header('content-security-policy', QUEUE_BOARD_CSP);
        // Its hashed static files may be cached; pages and API answers (job data) never are.
        if (!request.url.startsWith(`${QUEUE_BOARD_PATH}/static/`)) reply.header('cache-control', 'no-store');
      });
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
}
