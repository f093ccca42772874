import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readAttention } from '../../ops/read-attention.js';
import type { CredentialSummary } from '../../ops/read-credential-health.js';
import type { PairJob } from '../../pipeline/pair-job.js';
import { PAIR_STATES } from '../../store/pair-result.js';
import type { ResultStore } from '../../store/result-store.js';
import { parseInput } from '../parse-input.js';
import { readPortalPage } from '../read-portal-page.js';
import { readProgress } from '../read-progress.js';
import { renderDashboard } from '../render-dashboard.js';

/** The dashboard polls the JSON API this often. */
export const DASHBOARD_POLL_MS = 2_000;
/** Portals per page in the dashboard's table. */
export const DASHBOARD_PAGE_SIZE = 50;

const dashboardQuerySchema = z
  .object({
    search: z.string({ error: 'must be text' }).trim().max(200, 'must be at most 200 characters').default(''),
    state: z.enum(['', ...PAIR_STATES], { error: `must be one of ${PAIR_STATES.join(', ')}` }).default(''),
    offset: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(1_000_000, 'must be at most 1000000')
      .default(0),
  })
  .strict();

/** GET /: the results page (server-rendered, then refreshed live by its inline script). */
export function dashboardRoutes(
  app: FastifyInstance,
  deps: {
    results: ResultStore;
    queue: Queue<PairJob>;
    prefix: string;
    tokenRequired: boolean;
    now: () => number;
    /** Reads the OAuth credential health panel (docs/tokens.md); without it the panel is left out. */
    credentials?: () => Promise<CredentialSummary>;
  },
): void {
  app.get('/', async (request, reply) => {
    const filter = parseInput(dashboardQuerySchema, request.query, 'query');
    const [progress, attention, portals, credentials] = await Promise.all([
      readProgress(deps, deps.now),
      readAttention(deps.results, { limit: 100, historyLimit: 4 }),
      readPortalPage(
        deps.results,
        {
          ...(filter.search ? { search: filter.search } : {}),
          ...(filter.state ? { states: [filter.state] } : {}),
        },
        { offset: filter.offset, limit: DASHBOARD_PAGE_SIZE },
      ),
      deps.credentials?.(),
    ]);
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; ` +
          "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .send(
        renderDashboard({
          progress,
          attention,
          portals,
          filter,
          prefix: deps.prefix,
          ...(credentials === undefined ? {} : { credentials }),
          nonce,
          canLogOut: deps.tokenRequired,
          now: deps.now(),
          pollMs: DASHBOARD_POLL_MS,
          pageSize: DASHBOARD_PAGE_SIZE,
        }),
      );
  });
}
