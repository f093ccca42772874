import { randomBytes } from 'node:crypto';
import type { Config } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { minRefreshLockTtlMs } from '../src/tokens/min-refresh-lock-ttl.js';

/** The request timeout of every chaos run; "slow" simulator answers come after it (see flaky-api.ts). */
export const CHAOS_REQUEST_TIMEOUT_MS = 1_000;

/**
 * The configuration of a chaos run: the project's defaults with short intervals, so a killed worker's jobs come
 * back within seconds and retries wait milliseconds, not minutes. Every value still goes through the config schema.
 */
export function chaosConfig(
  where: { redisUrl: string; redisClusterNodes?: readonly string[]; prefix: string; oauthUrl: string },
  overrides: Record<string, unknown> = {},
): Config {
  return loadConfig(
    {},
    {
      redisUrl: where.redisUrl,
      redisClusterNodes: where.redisClusterNodes ?? [],
      prefix: where.prefix,
      allowHttp: true,
      // The simulator listens on loopback, which the outbound rule refuses unless listed (docs/security.md).
      allowHosts: ['127.0.0.1'],
      logLevel: 'warn',
      hashSecret: 'chaos-hash-secret-0123456789',
      // Credentials are sealed at rest as in production; a fresh throw-away key per run.
      secrets: { key: randomBytes(32).toString('base64') },
      b24: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', oauthUrl: where.oauthUrl },
      // Enough attempts that 20% 500s + 5% drops + slow answers never exhaust a pair (0.3^15 per pair).
      retry: { maxAttempts: 15, baseDelayMs: 50, maxDelayMs: 800, jitter: 0.3 },
      portalRate: { rate: 2, burst: 10 },
      request: { timeoutMs: CHAOS_REQUEST_TIMEOUT_MS, refreshTimeoutMs: CHAOS_REQUEST_TIMEOUT_MS },
      tokens: { refreshBeforeMs: 500, lockTtlMs: minRefreshLockTtlMs(CHAOS_REQUEST_TIMEOUT_MS) + 400 },
      // A killed worker's jobs are back after lockDuration + stalledInterval at most (~5 s).
      worker: { concurrency: 20, stalledIntervalMs: 1_500, lockDurationMs: 3_500, maxStalledCount: 10 },
      ...overrides,
    },
  );
}
