import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BitrixError } from '../../bitrix/bitrix-error.js';
import { type HandoutOutcome, recordHandoutOutcome } from '../../metrics/handout-metrics.js';
import type { RedisClient } from '../../redis/redis-client.js';
import { tokensMatch } from '../../secrets/tokens-match.js';
import type { PortalStore } from '../../store/portal-store.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import { type HandoutRequest, handOutToken } from '../../tokens/hand-out-token.js';
import { type TokenManager, TokenRefreshTimeoutError } from '../../tokens/token-manager.js';
import { createHandoutThrottle } from '../handout-throttle.js';
import { ApiInputError, parseInput } from '../parse-input.js';

/** The handout's two spellings of one route (docs/http-api.md); both are exempt from the API token (require-token.ts). */
export const TOKEN_HANDOUT_PATHS = ['/api/tokens', '/api/tokens/:domain'] as const;

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const domainSchema = z
  .string({ error: "is required: the portal's host name, e.g. example.bitrix24.com" })
  .trim()
  .toLowerCase()
  .regex(HOST_NAME, 'must be a portal host name, e.g. example.bitrix24.com (no scheme, path or port)');

const forceSchema = z
  .enum(['0', '1'], { error: 'must be 1 (refresh unless a newer token is stored) or 0, or left out' })
  .optional();

const staleSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the refused access token, 64 hex digits')
  .transform((hash) => hash.toLowerCase())
  .optional();

type ForceQuery = { force_refresh?: '0' | '1' | undefined; stale?: string | undefined };

/** `stale` names the token a forced refresh replaces: both go together. */
function forceTogether(query: ForceQuery, ctx: z.RefinementCtx): void {
  if (query.force_refresh === '1' && query.stale === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['stale'],
      message: 'is required with force_refresh=1: the SHA-256 (hex) of the access token the portal refused',
    });
  }
  if (query.stale !== undefined && query.force_refresh !== '1') {
    ctx.addIssue({
      code: 'custom',
      path: ['force_refresh'],
      message: 'must be 1 when stale is given (stale names the refused token a forced refresh replaces)',
    });
  }
}

export const handoutQueryWithDomain = z
  .object({ domain: domainSchema, force_refresh: forceSchema, stale: staleSchema })
  .strict()
  .superRefine(forceTogether);
export const handoutQueryOfPath = z
  .object({ force_refresh: forceSchema, stale: staleSchema })
  .strict()
  .superRefine(forceTogether);
export const handoutParamsSchema = z.object({ domain: domainSchema }).strict();

export interface TokenHandoutDeps {
  redis: RedisClient;
  keys: RedisKeys;
  portals: Pick<PortalStore, 'get'>;
  tokens: Pick<TokenManager, 'targetFor' | 'refreshAfterRejected'>;
  /** ROLLOUT_TOKEN_HANDOUT_SECRET (config tokens.handout.secret). */
  secret: string;
  /** config tokens.handout.ratePerMinute: requests per portal and minute. */
  ratePerMinute: number;
  logger: Logger;
  now: () => number;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

function inputOf(request: FastifyRequest): HandoutRequest {
  const params = request.params as Record<string, unknown> | undefined;
  if (params !== undefined && 'domain' in params) {
    const { domain } = parseInput(handoutParamsSchema, params, 'params');
    return { domain, stale: parseInput(handoutQueryOfPath, request.query, 'query').stale };
  }
  const query = parseInput(handoutQueryWithDomain, request.query, 'query');
  return { domain: query.domain, stale: query.stale };
}

/**
 * GET /api/tokens?domain=<domain>[&force_refresh=1&stale=<sha256 hex>] and GET /api/tokens/:domain[?...]: the
 * token handout (docs/tokens.md, "Handing out tokens"; the contract is in docs/tokens.md, "The token
 * contract"). Registered only when ROLLOUT_TOKEN_HANDOUT_SECRET is set, and authenticated by that secret alone
 * (constant-time), never by the API token or a login session. In order: an address that sent too many wrong
 * secrets is refused (429), the secret is checked (401), the query validated (400), the portal's rate taken
 * (429), then the token is looked up (tokens/hand-out-token.ts): 200 with the access token and its expiry, 404
 * with the reason, 503 on a transient failure. Each answer is counted (metrics/handout-metrics.ts) and logged
 * without any token.
 */
export function tokenHandoutRoutes(app: FastifyInstance, deps: TokenHandoutDeps): void {
  const { redis, keys, secret, now } = deps;
  const logger = deps.logger.child({ component: 'token-handout' });
  const throttle = createHandoutThrottle({ redis, keys, ratePerMinute: deps.ratePerMinute });
  const count = (outcome: HandoutOutcome) => recordHandoutOutcome(redis, keys.prefix, outcome);

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const source = request.ip;
    const blocked = await throttle.checkSource(source, now());
    if (!blocked.allowed) {
      await count('rate_limited');
      logger.warn({ source }, 'token handout: address refused after too many wrong secrets');
      return reply.code(429).header('retry-after', String(blocked.retryAfterSeconds)).send({
        error: 'rate_limited',
        message: 'too many wrong secrets from this address; try again later',
      });
    }
    const bearer = bearerOf(request);
    if (bearer === undefined || !tokensMatch(bearer, secret)) {
      await throttle.countDenied(source, now());
      await count('unauthorized');
      logger.warn({ source, sent: bearer !== undefined }, 'token handout: wrong or missing secret');
      return reply.code(401).header('www-authenticate', 'Bearer realm="imbot-rollout token handout"').send({
        error: 'unauthorized',
        message: 'send "Authorization: Bearer <ROLLOUT_TOKEN_HANDOUT_SECRET>"',
      });
    }
    let input: HandoutRequest;
    try {
      input = inputOf(request);
    } catch (error) {
      if (error instanceof ApiInputError) await count('bad_request');
      throw error;
    }
    const { domain } = input;
    const forced = input.stale !== undefined;
    const rate = await throttle.takePortal(domain, now());
    if (!rate.allowed) {
      await count('rate_limited');
      logger.warn({ domain, perMinute: deps.ratePerMinute }, 'token handout: portal rate-limited');
      return reply
        .code(429)
        .header('retry-after', String(rate.retryAfterSeconds))
        .send({
          error: 'rate_limited',
          message: `more than ${deps.ratePerMinute} requests for ${domain} this minute; keep the token until it expires`,
        });
    }
    let answer: Awaited<ReturnType<typeof handOutToken>>;
    try {
      answer = await handOutToken(deps, input);
    } catch (error) {
      await count('error');
      // Transient: the OAuth server failed (after the refresh's own retries) or another holder's refresh outlasted
      // the lock. Anything else is a fault of ours: the API's error handler logs it (500).
      if (!(error instanceof BitrixError || error instanceof TokenRefreshTimeoutError)) throw error;
      const code = error instanceof BitrixError ? error.code : error.name;
      logger.warn({ domain, forced, code }, 'token handout: transient failure, the caller may retry');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: 'unavailable',
          message: `the token for ${domain} could not be made fresh now (${code}); retry shortly`,
        });
    }
    if (answer.kind === 'refused') {
      await count('not_found');
      logger.warn({ domain, forced, refusal: answer.refusal }, 'token handout: no token for this portal');
      return reply.code(404).send({ error: answer.refusal, message: answer.message });
    }
    const at = now();
    const expiresInSeconds = Math.max(0, Math.floor((answer.expiresAt - at) / 1000));
    await count(answer.refreshed ? 'refreshed' : 'ok');
    logger.info(
      {
        domain,
        forced,
        outcome: answer.refreshed ? 'refreshed' : 'ok',
        credVersion: answer.credVersion,
        expiresInSeconds,
      },
      'token handed out',
    );
    return reply.code(200).send({
      access_token: answer.accessToken,
      expires_in: expiresInSeconds,
      expires: Math.floor(answer.expiresAt / 1000),
      expires_at: new Date(answer.expiresAt).toISOString(),
      client_endpoint: answer.restUrl,
      ...(answer.memberId === undefined ? {} : { member_id: answer.memberId }),
      domain,
    });
  }

  for (const url of TOKEN_HANDOUT_PATHS) app.get(url, handle);
}
