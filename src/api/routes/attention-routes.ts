import type { FastifyInstance } from 'fastify';
import { readAttention } from '../../ops/read-attention.js';
import type { ResultStore } from '../../store/result-store.js';
import { parseInput } from '../parse-input.js';
import { attentionQuerySchema } from '../request-schemas.js';

/** GET /api/attention: one page of the pairs needing attention (src/ops/read-attention.ts), each with its latest attempts. */
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
