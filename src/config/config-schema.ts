import { isIP } from 'node:net';
import { z } from 'zod';
import { allowHostProblem, createAllowList, splitAllowHosts } from '../outbound/allow-list.js';
import { outboundHostProblem } from '../outbound/outbound-host-problem.js';
import { parseClusterSeed, splitClusterNodes } from '../redis/redis-target.js';
import { decodeSecretKey, splitKeyList } from './secret-key.js';

const positiveInt = z.number().int().positive();

const KEEP_ALIVE_DAYS_HINT =
  'must be a whole number of days from 1 to 150 (refresh tokens lapse after 180 days), or 0 to turn token keep-alive off';

/** ROLLOUT_SECRET_KEY: 32 bytes as base64 or hex (see config/secret-key.ts); the value is never echoed. */
const secretKeyText = z.string().superRefine((value, ctx) => {
  const decoded = decodeSecretKey(value);
  if (!decoded.ok) ctx.addIssue({ code: 'custom', message: decoded.problem });
});

/** ROLLOUT_SECRET_KEY_PREVIOUS: one or more old keys, comma-separated, each like ROLLOUT_SECRET_KEY. */
const previousKeysText = z.string().superRefine((value, ctx) => {
  splitKeyList(value).forEach((item, index, all) => {
    const decoded = decodeSecretKey(item);
    if (!decoded.ok) {
      const which = all.length > 1 ? `key ${index + 1} of ${all.length}: ` : '';
      ctx.addIssue({ code: 'custom', message: `${which}${decoded.problem}` });
    }
  });
});

const redisUrl = z
  .string()
  .refine(
    (value) => /^rediss?:\/\/[^\s]+$/.test(value),
    'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  );

/**
 * redisClusterNodes (REDIS_CLUSTER_NODES): seed nodes of a Redis Cluster, comma-separated `host:port` (or
 * `redis[s]://[user:password@]host:port`) as a string or an array; empty: one Redis server at REDIS_URL.
 */
const redisClusterNodesSetting = z
  .union([z.string(), z.array(z.string())], {
    error: 'must be comma-separated host:port seed nodes, e.g. 10.0.0.1:6379,10.0.0.2:6379',
  })
  .transform((value) => splitClusterNodes(value))
  .superRefine((items, ctx) => {
    for (const item of items) {
      const seed = parseClusterSeed(item);
      if ('problem' in seed) ctx.addIssue({ code: 'custom', message: seed.problem });
    }
  });

/** One proxy address: an IPv4/IPv6 address, or a CIDR range of them (`10.0.0.0/8`). */
function isProxyAddress(item: string): boolean {
  const [address = '', bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * api.trustProxy (ROLLOUT_TRUST_PROXY): `true` trusts the immediate peer as one proxy hop (only when nothing but
 * the proxy can reach the server; the client is the right-most X-Forwarded-For entry, src/api/build-api.ts); a
 * comma-separated list of proxy addresses or CIDRs trusts those peers only.
 */
const trustProxySetting = z.union([
  z.boolean(),
  z
    .string()
    .refine(
      (value) => value.split(',').every((item) => isProxyAddress(item.trim())),
      'must be 1 (trust any peer), 0, or comma-separated proxy IP addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8',
    ),
]);

/**
 * allowHosts (ROLLOUT_ALLOW_HOSTS): hosts, IP addresses or CIDRs exempt from the outbound rule
 * (docs/security.md, "Where credentials are sent: the outbound rule"), as a comma-separated string or an
 * array; parsed to a list of lower-cased items.
 */
const allowHostsSetting = z
  .union([z.string(), z.array(z.string())], {
    error: 'must be comma-separated host names, IP addresses or CIDRs, e.g. 127.0.0.1',
  })
  .transform((value) => splitAllowHosts(value))
  .superRefine((items, ctx) => {
    for (const item of items) {
      const problem = allowHostProblem(item);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }
  });

/**
 * The whole configuration, fully resolved: every field has a value after parsing, so the rest of the code takes
 * a `Config` and never deals with "maybe unset" (compare octokit plugin-retry's `Required<RetryOptions>`).
 */
export const configSchema = z
  .object({
    redisUrl,
    redisClusterNodes: redisClusterNodesSetting.default([]),
    prefix: z
      .string()
      .min(1)
      .max(64)
      .regex(
        /^[A-Za-z0-9_.-]+$/,
        'only letters, digits, "_", "." and "-" (no "{}": the Redis Cluster hash tags are added per key, docs/architecture.md)',
      ),
    b24: z
      .object({
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        oauthUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
      })
      .strict(),
    allowHttp: z.boolean(),
    allowHosts: allowHostsSetting.default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    hashSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Client-side per-portal limit: below the server's 2/s and 50 so other apps on the portal keep headroom. */
    portalRate: z.object({ rate: z.number().positive().max(1000), burst: positiveInt.max(10_000) }).strict(),
    request: z.object({ timeoutMs: positiveInt, refreshTimeoutMs: positiveInt }).strict(),
    retry: z
      .object({
        maxAttempts: positiveInt.max(100),
        baseDelayMs: positiveInt,
        maxDelayMs: positiveInt,
        jitter: z.number().min(0).max(1),
      })
      .strict(),
    overload: z.object({ delayMs: positiveInt }).strict(),
    operationTimeLimit: z.object({ defaultParkMs: positiveInt }).strict(),
    tokens: z
      .object({
        refreshBeforeMs: z.number().int().min(0),
        lockTtlMs: positiveInt,
        /**
         * Token keep-alive (docs/tokens.md): workers refresh OAuth portals whose last refresh is older than this
         * many days; 0 turns it off. Below the refresh token's 180-day life (docs/bitrix24.md, "OAuth 2.0").
         */
        keepAliveAfterDays: z
          .number({ error: KEEP_ALIVE_DAYS_HINT })
          .int(KEEP_ALIVE_DAYS_HINT)
          .min(0, KEEP_ALIVE_DAYS_HINT)
          .max(150, KEEP_ALIVE_DAYS_HINT)
          .default(30),
        /** At most this many portals per keep-alive tick and worker. */
        keepAliveBatch: positiveInt.max(1000).default(20),
        /** Mean time between a worker's keep-alive ticks (each wait is jittered by ±50%). */
        keepAliveIntervalMs: positiveInt.min(1000).default(60_000),
        /**
         * Borrowed tokens (docs/tokens.md, "Who owns the tokens"): the application's own backend owns the OAuth
         * pair and hands out access tokens at `url` (ROLLOUT_TOKEN_SOURCE_URL), authenticated by `secret`
         * (ROLLOUT_TOKEN_SOURCE_SECRET, sent as `Authorization: Bearer`). Operator configuration: exempt from
         * the outbound rule, so it may sit on a private network.
         */
        source: z
          .object({
            url: z
              .url({
                protocol: /^https?$/,
                error: 'must be an absolute http(s) URL, e.g. https://backend.example.com/b24/tokens',
              })
              .optional(),
            secret: z
              .string()
              .min(16, 'must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)')
              .optional(),
            /** One request to the source, in ms. */
            timeoutMs: positiveInt.max(120_000).default(10_000),
          })
          .strict()
          .default({ timeoutMs: 10_000 }),
        /**
         * Handed-out tokens (docs/tokens.md, "Who owns the tokens"): `serve` answers GET /api/tokens/:domain to the
         * application's backend when `secret` (ROLLOUT_TOKEN_HANDOUT_SECRET) is set; `ratePerMinute` bounds the
         * requests per portal.
         */
        handout: z
          .object({
            secret: z
              .string()
              .min(32, 'must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)')
              .optional(),
            ratePerMinute: positiveInt.max(100_000).default(120),
          })
          .strict()
          .default({ ratePerMinute: 120 }),
      })
      .strict(),
    worker: z
      .object({
        concurrency: positiveInt.max(1000),
        stalledIntervalMs: positiveInt,
        lockDurationMs: positiveInt,
        maxStalledCount: positiveInt.max(100),
      })
      .strict(),
    producer: z.object({ chunkSize: positiveInt.max(100_000) }).strict(),
    /** `rollout --apply`: the oldest saved plan accepted (docs/operations.md, "Plan before apply"). */
    plan: z
      .object({ maxAgeMs: positiveInt.default(86_400_000) })
      .strict()
      .default({ maxAgeMs: 86_400_000 }),
    /**
     * One request per portal: a worker about to call a portal takes the portal's other due pairs along in one
     * Bitrix24 `batch` request (docs/bitrix24.md, "Batch"). `enabled: false` calls each pair alone (for a
     * server where batch misbehaves). `maxCommands` at most 50 (the server's limit); `maxBytes` bounds the
     * request (ICON_FILE can be large): a command that does not fit is sent in a later request, or alone.
     */
    batch: z
      .object({
        enabled: z.boolean(),
        maxCommands: positiveInt.min(2).max(50),
        maxBytes: positiveInt.min(1024),
      })
      .strict(),
    input: z.object({ maxFileBytes: positiveInt, maxIconBytes: positiveInt }).strict(),
    /**
     * Secrets at rest (docs/security.md, "Secrets at rest"). Without `key`, tokens and webhook URLs are
     * stored in plaintext: `worker` and `rollout` refuse to run so unless `insecurePlaintext` is set
     * explicitly (local experiments).
     */
    secrets: z
      .object({
        key: secretKeyText.optional(),
        previousKey: previousKeysText.optional(),
        insecurePlaintext: z.boolean().default(false),
      })
      .strict()
      .default({ insecurePlaintext: false }),
    /**
     * Bitrix24 application events received by `serve` at POST /bitrix24/events (docs/install-events.md):
     * `appsFile` (ROLLOUT_EVENTS_APPS_FILE) names the apps an installed portal gets, instead of the last
     * rollout's; `botCode` (ROLLOUT_EVENTS_BOT_CODE) is the bot (imbot.bot.list CODE) of a portal first seen
     * through an install event; `ratePerMinute` bounds the events accepted per source address.
     */
    events: z
      .object({
        appsFile: z.string().min(1).optional(),
        botCode: z.string().min(1).max(128).optional(),
        ratePerMinute: positiveInt.max(100_000).default(60),
      })
      .strict()
      .default({ ratePerMinute: 60 }),
    /** The HTTP API and dashboard (`serve`): a token is required to bind a non-loopback address. */
    api: z
      .object({
        token: z
          .string()
          .min(16, 'must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)')
          .optional(),
        port: z.number().int().min(0).max(65535),
        host: z.string().min(1),
        /**
         * The queue board (/queues) may change the queue; read-only by default (docs/security.md,
         * "HTTP API, dashboard and queue board").
         */
        queueBoardWrite: z.boolean().default(false),
        /**
         * Behind a TLS proxy: whose X-Forwarded-* headers to believe (docs/security.md,
         * "HTTP API, dashboard and queue board").
         */
        trustProxy: trustProxySetting.default(false),
      })
      .strict(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!config.allowHttp && config.b24.oauthUrl.startsWith('http://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['b24', 'oauthUrl'],
        message: 'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator',
      });
    }
    // The outbound rule (docs/security.md, "Where credentials are sent: the outbound rule"): the client
    // secret must not be sent to a reserved address.
    const oauthUrl = URL.canParse(config.b24.oauthUrl) ? new URL(config.b24.oauthUrl) : undefined;
    if (oauthUrl !== undefined && (oauthUrl.username !== '' || oauthUrl.password !== '')) {
      // Never quoted: user-info is a credential. The client id and secret travel in the form body.
      ctx.addIssue({
        code: 'custom',
        path: ['b24', 'oauthUrl'],
        message: `must not carry user-info (user:password@) in ${oauthUrl.origin}: B24_CLIENT_ID and B24_CLIENT_SECRET are sent in the request body; remove it`,
      });
    }
    const allow = createAllowList(Array.isArray(config.allowHosts) ? config.allowHosts : []);
    const oauthProblem = oauthUrl === undefined ? undefined : outboundHostProblem(oauthUrl, allow);
    if (oauthUrl !== undefined && oauthProblem !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['b24', 'oauthUrl'],
        message: `${oauthUrl.origin} is refused: ${oauthProblem}`,
      });
    }
    const source = config.tokens.source;
    if ((source.url === undefined) !== (source.secret === undefined)) {
      const missing = source.url === undefined ? 'url' : 'secret';
      ctx.addIssue({
        code: 'custom',
        path: ['tokens', 'source', missing],
        message: `is required with tokens.source.${missing === 'url' ? 'secret' : 'url'}: a token source needs both its URL (ROLLOUT_TOKEN_SOURCE_URL) and its secret (ROLLOUT_TOKEN_SOURCE_SECRET)`,
      });
    }
    if (source.url !== undefined && !config.allowHttp && source.url.startsWith('http://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokens', 'source', 'url'],
        message: 'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator',
      });
    }
    if (config.retry.baseDelayMs > config.retry.maxDelayMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['retry', 'baseDelayMs'],
        message: 'must not exceed retry.maxDelayMs',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
