import { fastifyCookie } from '@fastify/cookie';
import { fastifyFormbody } from '@fastify/formbody';
import { type FastifyBaseLogger, type FastifyInstance, fastify, LogController } from 'fastify';
import type { Logger } from 'pino';
import { OperatorError } from '../errors/operator-error.js';
import { readCredentialSummary } from '../ops/read-credential-health.js';
import { arrangementOf } from '../ops/read-token-arrangement.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { createRedisKeys } from '../store/redis-keys.js';
import { API_ROUTES } from './api-route-table.js';
import { apiTokenProblem, TOKEN_HINT } from './api-token-problem.js';
import { buildOpenApi } from './build-openapi.js';
import { createFailedAuthLimit } from './failed-auth-limit.js';
import { isLoopbackHost } from './is-loopback-host.js';
import { ApiInputError } from './parse-input.js';
import { createPrometheusRegistry } from './prometheus-registry.js';
import { requireRedisReady, sendUnavailable } from './require-redis-ready.js';
import { requireSameOrigin } from './require-same-origin.js';
import { requireToken } from './require-token.js';
import { appEventRoutes } from './routes/app-event-routes.js';
import { attentionRoutes } from './routes/attention-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { credentialsRoutes } from './routes/credentials-routes.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { planRoutes } from './routes/plan-routes.js';
import { portalRoutes } from './routes/portal-routes.js';
import { progressRoutes } from './routes/progress-routes.js';
import { queueBoardRoutes } from './routes/queue-board-routes.js';
import { resultsRoutes } from './routes/results-routes.js';
import { retryRoutes } from './routes/retry-routes.js';
import { rolloutPlanRoutes } from './routes/rollout-plan-routes.js';
import { tokenHandoutRoutes } from './routes/token-handout-routes.js';
import { createSessionStore } from './session-cookie.js';

/**
 * `serve` was asked to listen beyond loopback without ROLLOUT_API_TOKEN, or with a weak token: it refuses to
 * start (exit 2).
 */
export class UnsafeBindError extends OperatorError {
  override readonly name = 'UnsafeBindError' as const;
  readonly code = 'UNSAFE_BIND' as const;
}

/**
 * What the API reads: the stores, the queue and Redis of a runtime (createRuntime). With the portal and
 * definition stores and the OAuth refresh too, it also takes Bitrix24's application events (/bitrix24/events).
 */
export type ApiRuntime = Pick<Runtime, 'config' | 'logger' | 'redis' | 'queue' | 'results'> &
  Partial<
    Pick<Runtime, 'portals' | 'definitions' | 'keys' | 'rest' | 'refreshTokens' | 'tokens' | 'tokenSource'>
  >;

export interface ApiOptions {
  /** The address the server will listen on: without a token only a loopback address is allowed. */
  host: string;
  /**
   * ROLLOUT_API_TOKEN. When set, every route but /healthz and /login requires it; a weak one (apiTokenProblem) is
   * refused with UnsafeBindError.
   */
  token: string | undefined;
  /** The queue board may change the queue (default: config `api.queueBoardWrite`, ROLLOUT_QUEUE_BOARD_WRITE). */
  queueBoardWrite?: boolean;
  /** Fastify's `trustProxy` (default: config `api.trustProxy`, ROLLOUT_TRUST_PROXY). */
  trustProxy?: boolean | string;
  /** Where request problems are logged (default: the runtime's logger). */
  logger?: Logger;
  now?: () => number;
  /** Told every route Fastify registers (Fastify's onRoute): the OpenAPI test compares them with API_ROUTES. */
  onRoute?: (route: { method: string | string[]; url: string }) => void;
}

/** The version the OpenAPI document states (package.json's). */
const API_VERSION = '0.1.0';

/** Small bodies only: the API takes a filter at most. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Fastify's trustProxy for our setting: `true` (ROLLOUT_TRUST_PROXY=1) trusts the immediate peer only (hop 0, the
 * proxy), so the client address is the right-most X-Forwarded-For entry; a list of proxies stays a list.
 */
function oneHopForTrue(
  setting: boolean | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  return setting === true ? (_address: string, hop: number) => hop === 0 : setting;
}

function statusOf(error: unknown): number {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

/**
 * Builds the HTTP API, dashboard, bull-board queue view and /metrics on one Fastify instance (not listening:
 * call `listen`, or `inject` in tests). Refuses (UnsafeBindError) to serve a non-loopback address without a
 * token, because POST routes re-queue work.
 */
export async function buildApi(runtime: ApiRuntime, options: ApiOptions): Promise<FastifyInstance> {
  const { token, host } = options;
  const now = options.now ?? Date.now;
  const tokenProblem = token === undefined ? undefined : apiTokenProblem(token);
  if (tokenProblem !== undefined) {
    throw new UnsafeBindError(`ROLLOUT_API_TOKEN ${tokenProblem}: ${TOKEN_HINT}`);
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new UnsafeBindError(
      `refusing to listen on ${host} without ROLLOUT_API_TOKEN: anyone who can reach that address could read ` +
        'the rollout and re-queue pairs. Set ROLLOUT_API_TOKEN (16+ characters, e.g. `openssl rand -base64 32`) ' +
        'or bind a loopback address (--host 127.0.0.1).',
    );
  }
  const logger: FastifyBaseLogger = (options.logger ?? runtime.logger).child({ component: 'api' });
  const app: FastifyInstance = fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a TLS proxy: read the client's protocol (X-Forwarded-Proto, for the cookie's Secure flag) and host
    // from the proxy's headers, trusting them only from the configured proxy
    // (https://fastify.dev/docs/latest/Reference/Server/#trustproxy).
    // ROLLOUT_TRUST_PROXY=1 is one trusted hop, the proxy in front: Fastify's `true` would believe every
    // X-Forwarded-For entry and take the left-most, which the client writes; a hop count of 1 takes the
    // right-most, the address the proxy saw (docs/security.md, "HTTP API, dashboard and queue board").
    trustProxy: oneHopForTrue(options.trustProxy ?? runtime.config.api.trustProxy ?? false),
  });
  const sessions =
    token === undefined
      ? undefined
      : createSessionStore({ redis: runtime.redis, prefix: runtime.config.prefix, token, now });

  const onRoute = options.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  requireSameOrigin(app, { tokenRequired: token !== undefined });
  // Before the token check: a login session is looked up in Redis.
  requireRedisReady(app, { redis: runtime.redis });
  const failedAuth =
    token === undefined
      ? undefined
      : createFailedAuthLimit({
          redis: runtime.redis,
          keys: runtime.keys ?? createRedisKeys(runtime.config.prefix),
          now,
        });
  requireToken(app, { token, sessions, ...(failedAuth ? { failedAuth } : {}) });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
  // The route pattern is logged, never the raw URL or headers (a query could carry anything).
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof ApiInputError) {
      return reply.code(400).send({ error: 'bad_request', message: error.message, issues: error.issues });
    }
    const status = statusOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (status < 500) return reply.code(status).send({ error: 'bad_request', message });
    if (runtime.redis.status !== 'ready') {
      request.log.warn(
        { err: { name: (error as Error).name, message } },
        'request failed: Redis unreachable',
      );
      return sendUnavailable(reply);
    }
    request.log.error({ err: { name: (error as Error).name, message } }, 'request failed');
    return reply
      .code(status)
      .send({ error: 'internal_error', message: 'the request failed; see the API log' });
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  const { results, queue, redis } = runtime;
  healthRoutes(app, { redis });
  authRoutes(app, { token, sessions, ...(failedAuth ? { failedAuth } : {}) });
  progressRoutes(app, { results, queue, now });
  resultsRoutes(app, { results });
  attentionRoutes(app, { results });
  retryRoutes(app, { results, queue, ...(runtime.portals ? { portals: runtime.portals } : {}) });
  // Wave plans (`rollout --waves`, docs/waves.md); the POST routes pass the same token and same-origin checks.
  rolloutPlanRoutes(app, {
    redis,
    keys: runtime.keys ?? createRedisKeys(runtime.config.prefix),
    results,
    queue,
    appsFile: runtime.config.events.appsFile,
  });
  // The OpenAPI document of the JSON API, from the route table (src/api/api-route-table.ts).
  const openApi = buildOpenApi(API_ROUTES, API_VERSION);
  app.get('/api/openapi.json', async () => openApi);
  // Plans before apply (docs/operations.md, "Plan before apply"); the POST routes pass the same checks as retry.
  if (runtime.portals && runtime.definitions && runtime.keys) {
    planRoutes(app, {
      ...runtime,
      portals: runtime.portals,
      definitions: runtime.definitions,
      keys: runtime.keys,
      now,
    });
  }
  credentialsRoutes(app, {
    redis,
    keys: runtime.keys ?? createRedisKeys(runtime.config.prefix),
    keepAliveAfterDays: runtime.config.tokens.keepAliveAfterDays,
    now,
    arrangement: arrangementOf(runtime.config),
  });
  metricsRoutes(app, {
    registry: createPrometheusRegistry({
      redis,
      prefix: runtime.config.prefix,
      results,
      queue,
      keepAliveAfterDays: runtime.config.tokens.keepAliveAfterDays,
    }),
  });
  dashboardRoutes(app, {
    results,
    queue,
    prefix: runtime.config.prefix,
    tokenRequired: token !== undefined,
    now,
    credentials: () =>
      readCredentialSummary(redis, runtime.keys ?? createRedisKeys(runtime.config.prefix), {
        keepAliveAfterDays: runtime.config.tokens.keepAliveAfterDays,
        now: now(),
        arrangement: arrangementOf(runtime.config),
      }),
  });
  const { portals, definitions, keys, refreshTokens } = runtime;
  // POST /api/portals, DELETE /api/portals/:domain (docs/http-api.md, "Portals"): behind the token like retry.
  if (portals && definitions && keys) portalRoutes(app, { ...runtime, portals, definitions, keys });
  if (portals && definitions && keys && refreshTokens) {
    const eventLogger = (options.logger ?? runtime.logger).child({ component: 'app-events' });
    await appEventRoutes(app, {
      ...runtime,
      logger: eventLogger,
      portals,
      definitions,
      keys,
      refreshTokens,
      tokenSource: runtime.tokenSource,
      now,
    });
  }
  // The token handout (docs/tokens.md, "Handing out tokens"): only with ROLLOUT_TOKEN_HANDOUT_SECRET.
  const handout = runtime.config.tokens.handout;
  if (handout.secret !== undefined && portals && keys && runtime.tokens) {
    tokenHandoutRoutes(app, {
      redis,
      keys,
      portals,
      tokens: runtime.tokens,
      secret: handout.secret,
      ratePerMinute: handout.ratePerMinute,
      logger: options.logger ?? runtime.logger,
      now,
    });
  }
  await queueBoardRoutes(app, {
    queue,
    write: options.queueBoardWrite ?? runtime.config.api.queueBoardWrite ?? false,
  });
  return app;
}
