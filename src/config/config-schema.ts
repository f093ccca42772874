import { z } from 'zod';
import { decodeSecretKey, splitKeyList } from '../secrets/secret-key.js';

const positiveInt = z.number().int().positive();

/** ROLLOUT_SECRET_KEY: 32 bytes as base64 or hex (see secrets/secret-key.ts); the value is never echoed. */
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
 * The whole configuration, fully resolved: every field has a value after parsing, so the rest of the code takes
 * a `Config` and never deals with "maybe unset" (compare octokit plugin-retry's `Required<RetryOptions>`).
 */
export const configSchema = z
  .object({
    redisUrl,
    prefix: z
      .string()
      .min(1)
      .max(64)
      .regex(
        /^[A-Za-z0-9_.{}-]+$/,
        'only letters, digits, "_", ".", "-" and "{}" (a Redis Cluster hash tag)',
      ),
    b24: z
      .object({
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        oauthUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
      })
      .strict(),
    allowHttp: z.boolean(),
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
    tokens: z.object({ refreshBeforeMs: z.number().int().min(0), lockTtlMs: positiveInt }).strict(),
    worker: z
      .object({
        concurrency: positiveInt.max(1000),
        stalledIntervalMs: positiveInt,
        lockDurationMs: positiveInt,
        maxStalledCount: positiveInt.max(100),
      })
      .strict(),
    producer: z.object({ chunkSize: positiveInt.max(100_000) }).strict(),
    input: z.object({ maxFileBytes: positiveInt, maxIconBytes: positiveInt }).strict(),
    /**
     * Secrets at rest (README, "Security"). Without `key`, tokens and webhook URLs are stored in plaintext:
     * `worker` and `rollout` refuse to run so unless `insecurePlaintext` is set explicitly (local experiments).
     */
    secrets: z
      .object({
        key: secretKeyText.optional(),
        previousKey: previousKeysText.optional(),
        insecurePlaintext: z.boolean().default(false),
      })
      .strict()
      .default({ insecurePlaintext: false }),
    /** The HTTP API and dashboard (`serve`): a token is required to bind a non-loopback address. */
    api: z
      .object({
        token: z
          .string()
          .min(16, 'must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)')
          .optional(),
        port: z.number().int().min(0).max(65535),
        host: z.string().min(1),
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
    if (config.retry.baseDelayMs > config.retry.maxDelayMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['retry', 'baseDelayMs'],
        message: 'must not exceed retry.maxDelayMs',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
