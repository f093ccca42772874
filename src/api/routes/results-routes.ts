import type { FastifyInstance } from 'fastify';
import { toAttentionAttempt } from '../../ops/attention-row.js';
import { toStatusRow } from '../../ops/status-row.js';
import type { ResultStore } from '../../store/result-store.js';
import { parseInput } from '../parse-input.js';
import { readPortalPage } from '../read-portal-page.js';
import { pairParamsSchema, portalParamsSchema, portalsQuerySchema } from '../request-schemas.js';

/**
 * GET /api/portals (results grouped by portal; filter by state/code/search; paginated by portal),
 * GET /api/portals/:domain and GET /api/pairs/:domain/:code (one pair with its attempt history).
 */
export function resultsRoutes(app: FastifyInstance, deps: { results: ResultStore }): void {
  app.get('/api/portals', async (request) => {
    const query = parseInput(portalsQuerySchema, request.query, 'query');
    return await readPortalPage(
      deps.results,
      {
        ...(query.state ? { states: query.state } : {}),
        ...(query.code ? { code: query.code } : {}),
        ...(query.search ? { search: query.search } : {}),
      },
      { offset: query.offset, limit: query.limit },
    );
  });

  app.get('/api/portals/:domain', async (request, reply) => {
    const { domain } = parseInput(portalParamsSchema, request.params, 'params');
    const page = await readPortalPage(deps.results, { portal: domain }, { offset: 0, limit: 1 });
    const portal = page.portals[0];
    if (!portal) {
      return reply.code(404).send({ error: 'not_found', message: `no pair is known for portal ${domain}` });
    }
    return portal;
  });

  app.get('/api/pairs/:domain/:code', async (request, reply) => {
    const { domain, code } = parseInput(pairParamsSchema, request.params, 'params');
    const result = await deps.results.get(domain, code);
    if (!result) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no pair is known for portal ${domain} and app ${code}` });
    }
    const history = await deps.results.history(domain, code);
    return { pair: toStatusRow(result), history: history.map(toAttentionAttempt) };
  });
}
