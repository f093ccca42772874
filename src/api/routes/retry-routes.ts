import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { NothingMatchedError } from '../../errors/operator-error.js';
import { retryFailedPairs } from '../../ops/retry-failed-pairs.js';
import { toStatusRow } from '../../ops/status-row.js';
import type { PairJob } from '../../pipeline/pair-job.js';
import type { PortalStore } from '../../store/portal-store.js';
import type { ResultStore } from '../../store/result-store.js';
import { parseInput } from '../parse-input.js';
import { pairParamsSchema, retryFailedBodySchema } from '../request-schemas.js';

/** How many retried pairs a bulk retry lists in its answer (the count is always exact). */
export const RETRY_LIST_LIMIT = 100;

/**
 * POST /api/pairs/:domain/:code/retry (one failed pair) and POST /api/retry-failed (every failed pair, or
 * those of one portal/app): the pairs go back to pending with their attempts reset and are queued again.
 */
export function retryRoutes(
  app: FastifyInstance,
  deps: { results: ResultStore; queue: Queue<PairJob>; portals?: Pick<PortalStore, 'domainsRemoved'> },
): void {
  app.post('/api/pairs/:domain/:code/retry', async (request, reply) => {
    const { domain, code } = parseInput(pairParamsSchema, request.params, 'params');
    const before = await deps.results.get(domain, code);
    if (!before) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no pair is known for portal ${domain} and app ${code}` });
    }
    try {
      await retryFailedPairs(deps, { portal: domain, code });
    } catch (error) {
      if (!(error instanceof NothingMatchedError)) throw error;
      const now = await deps.results.get(domain, code);
      return reply.code(409).send({
        error: 'not_failed',
        message: `the pair is ${now?.state ?? before.state}, not failed: only failed pairs are retried`,
        pair: now ? toStatusRow(now) : toStatusRow(before),
      });
    }
    const after = await deps.results.get(domain, code);
    return { retried: 1, pair: toStatusRow(after ?? before) };
  });

  app.post('/api/retry-failed', async (request) => {
    const body = parseInput(retryFailedBodySchema, request.body, 'body');
    try {
      const retried = await retryFailedPairs(deps, {
        ...(body.portal ? { portal: body.portal } : {}),
        ...(body.code ? { code: body.code } : {}),
      });
      return {
        retried: retried.length,
        pairs: retried.slice(0, RETRY_LIST_LIMIT).map((p) => ({ portal: p.domain, code: p.code })),
      };
    } catch (error) {
      if (!(error instanceof NothingMatchedError)) throw error;
      return { retried: 0, pairs: [], message: error.message };
    }
  });
}
