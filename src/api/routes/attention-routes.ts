import type { FastifyInstance } from 'fastify';
import type { ResultStore } from '../../store/result-store.js';
import { parseInput } from '../parse-input.js';
import { readAttention } from '../read-attention.js';
import { attentionQuerySchema } from '../request-schemas.js';

/** GET /api/attention: failed and parked pairs, each with its latest attempts. */
export function attentionRoutes(app: FastifyInstance, deps: { results: ResultStore }): void {
  app.get('/api/attention', async (request) => {
    const query = parseInput(attentionQuerySchema, request.query, 'query');
    return await readAttention(deps.results, {
      limit: query.limit,
      historyLimit: query.history,
      only: query.only,
    });
  });
}
