import type { z } from 'zod';
import {
  attentionQuerySchema,
  pairParamsSchema,
  portalParamsSchema,
  portalsQuerySchema,
  retryFailedBodySchema,
} from './request-schemas.js';
import { credentialsQuerySchema } from './routes/credentials-routes.js';
import { createPlanBodySchema, planIdSchema, planPageQuerySchema } from './routes/plan-routes.js';
import { portalsBodySchema } from './routes/portal-routes.js';
import { planParamsSchema } from './routes/rollout-plan-routes.js';
import {
  handoutParamsSchema,
  handoutQueryOfPath,
  handoutQueryWithDomain,
} from './routes/token-handout-routes.js';

/** One route of the JSON API, with the zod schemas its handler validates its input with (parseInput). */
export interface ApiRouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's pattern (`/api/portals/:domain`). */
  url: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

/**
 * Every route under /api/ with its input schemas: the source of the OpenAPI document (`GET /api/openapi.json`,
 * buildOpenApi). A test compares it with the routes Fastify registers (onRoute), so a route added without its
 * entry here fails the build.
 */
export const API_ROUTES: readonly ApiRouteSpec[] = [
  { method: 'GET', url: '/api/openapi.json', summary: 'This OpenAPI document' },
  { method: 'GET', url: '/api/progress', summary: 'Pairs by state, rate, ETA and queue state' },
  {
    method: 'GET',
    url: '/api/portals',
    summary: 'A page of portals with their pairs',
    query: portalsQuerySchema,
  },
  { method: 'GET', url: '/api/portals/:domain', summary: "One portal's pairs", params: portalParamsSchema },
  {
    method: 'GET',
    url: '/api/pairs/:domain/:code',
    summary: 'One pair with its history',
    params: pairParamsSchema,
  },
  {
    method: 'GET',
    url: '/api/attention',
    summary: 'Pairs that need an operator',
    query: attentionQuerySchema,
  },
  {
    method: 'GET',
    url: '/api/credentials',
    summary: "OAuth portals' credential health",
    query: credentialsQuerySchema,
  },
  {
    method: 'POST',
    url: '/api/pairs/:domain/:code/retry',
    summary: 'Retry one failed pair',
    params: pairParamsSchema,
  },
  { method: 'POST', url: '/api/retry-failed', summary: 'Retry failed pairs', body: retryFailedBodySchema },
  { method: 'GET', url: '/api/rollouts', summary: 'Wave plans, newest first' },
  { method: 'GET', url: '/api/rollouts/:id', summary: 'One wave plan', params: planParamsSchema },
  {
    method: 'POST',
    url: '/api/rollouts/:id/resume',
    summary: 'Resume a halted wave plan',
    params: planParamsSchema,
  },
  { method: 'POST', url: '/api/rollouts/:id/abort', summary: 'Abort a wave plan', params: planParamsSchema },
  {
    method: 'POST',
    url: '/api/rollouts/:id/skip-wave',
    summary: 'Start the next wave now',
    params: planParamsSchema,
  },
  {
    method: 'POST',
    url: '/api/rollouts/:id/promote',
    summary: "Make a finished plan's definitions the stable ones new installs get",
    params: planParamsSchema,
  },
  { method: 'GET', url: '/api/apps', summary: "Each CODE's stable definition and its plans in flight" },
  {
    method: 'POST',
    url: '/api/portals',
    summary: 'Add or update portals (portals-file entries), optionally queueing the stable apps',
    body: portalsBodySchema({ allowHttp: false, allowHosts: [], tokenSource: true }),
  },
  {
    method: 'DELETE',
    url: '/api/portals/:domain',
    summary: 'Remove a portal: its queued jobs dropped, its results kept, never called again',
    params: portalParamsSchema,
  },
  {
    method: 'GET',
    url: '/api/tokens',
    summary: 'Token handout: a fresh access token (ROLLOUT_TOKEN_HANDOUT_SECRET as bearer)',
    query: handoutQueryWithDomain,
  },
  {
    method: 'GET',
    url: '/api/tokens/:domain',
    summary: 'Token handout, the portal in the path',
    params: handoutParamsSchema,
    query: handoutQueryOfPath,
  },
  { method: 'POST', url: '/api/plans', summary: 'Compute and keep a plan', body: createPlanBodySchema },
  {
    method: 'GET',
    url: '/api/plans/:id',
    summary: 'A plan and a page of its pairs',
    params: planIdSchema,
    query: planPageQuerySchema,
  },
  {
    method: 'POST',
    url: '/api/plans/:id/apply',
    summary: 'Queue a plan that still holds',
    params: planIdSchema,
  },
];
