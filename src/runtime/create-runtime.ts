import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { type BatchRestClient, createRestClient } from '../bitrix/call-method.js';
import type { Config } from '../config/config-schema.js';
import { createRedisPipelineMetrics } from '../metrics/pipeline-metrics.js';
import { type PairJob, ROLLOUT_QUEUE } from '../pipeline/pair-job.js';
import type { PairProcessorDeps } from '../pipeline/pair-processor-deps.js';
import { createPortalRateLimiter } from '../ratelimit/portal-rate-limiter.js';
import { closeBullmq } from '../redis/close-bullmq.js';
import { connectRedis } from '../redis/connect-redis.js';
import type { RedisClient } from '../redis/redis-client.js';
import { secretCodecFromConfig } from '../secrets/secret-codec-from-config.js';
import { createDefinitionStore } from '../store/definition-store.js';
import { createPortalStore } from '../store/portal-store.js';
import { createRedisKeys, type RedisKeys } from '../store/redis-keys.js';
import { createResultStore } from '../store/result-store.js';
import { createTokenRefresher, type RefreshTokens } from '../tokens/create-token-refresher.js';
import { createTokenManager } from '../tokens/token-manager.js';
import { createTokenSourceClient, type TokenSourceClient } from '../tokens/token-source-client.js';

/**
 * Network jitter the per-portal limiter absorbs (portal-rate-limiter.ts, "Arrival margin"): with the client's limit
 * equal to the server's, a request granted on time can still reach Bitrix24 a few ms early and be refused 503.
 * 50 ms costs 50 ms once per burst refill (a tenth of a slot at 2 requests/s).
 */
const ARRIVAL_MARGIN_MS = 50;

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  /** Transport for REST and OAuth calls (tests, benchmarks); global fetch by default. */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface Runtime extends PairProcessorDeps {
  redis: RedisClient;
  keys: RedisKeys;
  queue: Queue<PairJob>;
  rest: BatchRestClient;
  /** Spends a refresh token at the OAuth server with config b24's client id (src/tokens/create-token-refresher.ts). */
  refreshTokens: RefreshTokens;
  /** The token source (ROLLOUT_TOKEN_SOURCE_URL, docs/tokens.md "The token contract"); undefined when unset. */
  tokenSource: TokenSourceClient | undefined;
  close(): Promise<void>;
}

/**
 * Wires the stores, limiter, token manager and REST client around one Redis connection. Every command and
 * every worker process uses this, so they all share the same keys and rules.
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  const redis = connectRedis(config, logger, 'imbot-rollout');
  const keys = createRedisKeys(config.prefix);
  // Tokens and webhook URLs are sealed at rest with ROLLOUT_SECRET_KEY (docs/security.md, "Secrets at rest").
  const codec = secretCodecFromConfig(config.secrets);
  const portals = createPortalStore({ redis, keys, now, codec });
  const results = createResultStore({ redis, keys, now });
  const definitions = createDefinitionStore({ redis, keys });
  const limiter = createPortalRateLimiter({
    redis,
    prefix: config.prefix,
    now,
    arrivalMarginMs: ARRIVAL_MARGIN_MS,
  });
  const fetchImpl = options.fetch;
  const rest = createRestClient({
    timeoutMs: config.request.timeoutMs,
    allowHttp: config.allowHttp,
    allowHosts: config.allowHosts,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  const metrics = createRedisPipelineMetrics(redis, config.prefix);
  // The one OAuth refresh (config b24): the token manager's, and the install events' verification.
  const refreshTokens = createTokenRefresher({
    config,
    now,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  // Borrowed tokens: operator configuration, exempt from the outbound rule (docs/security.md).
  const { url: sourceUrl, secret: sourceSecret, timeoutMs: sourceTimeoutMs } = config.tokens.source;
  const tokenSource =
    sourceUrl === undefined || sourceSecret === undefined
      ? undefined
      : createTokenSourceClient({ url: sourceUrl, secret: sourceSecret, timeoutMs: sourceTimeoutMs, now });
  const tokens = createTokenManager({
    redis,
    keys,
    portalStore: portals,
    codec,
    ...(tokenSource === undefined ? {} : { source: tokenSource }),
    now,
    lockTtlMs: config.tokens.lockTtlMs,
    refreshBeforeMs: config.tokens.refreshBeforeMs,
    logger,
    refresh: async (refreshToken) => {
      const refreshed = await refreshTokens(refreshToken);
      metrics.tokenRefreshed();
      return refreshed;
    },
  });
  const queue = new Queue<PairJob>(ROLLOUT_QUEUE, { connection: redis, prefix: keys.queuePrefix });
  queue.on('error', (error) => logger.warn({ err: { message: error.message } }, 'queue error'));
  return {
    config,
    logger,
    redis,
    keys,
    queue,
    results,
    definitions,
    portals,
    tokens,
    limiter,
    rest,
    refreshTokens,
    tokenSource,
    now,
    random: Math.random,
    metrics,
    async close() {
      if (redis.status === 'ready') await metrics.flush();
      await closeBullmq(queue, redis);
      // QUIT waits for Redis to answer: while it cannot be reached (serve stopped during an outage) that is
      // for ever, so the connection is dropped instead.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
