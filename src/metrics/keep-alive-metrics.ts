import type { RedisClient } from '../redis/redis-client.js';
import { metricsKeys } from './pipeline-metrics.js';

/**
 * What a keep-alive refresh of one portal ended in (tokens/keep-alive-loop.ts): `refreshed` (a newer pair is
 * stored), `unchanged` (refreshed or re-imported meanwhile by someone else: nothing to do), `needs_reauth` (the
 * refresh was refused: the portal is parked until an administrator re-authorises), `failed` (a transient fault:
 * tried again when the claim lapses).
 */
export const KEEP_ALIVE_OUTCOMES = ['refreshed', 'unchanged', 'needs_reauth', 'failed'] as const;
export type KeepAliveOutcome = (typeof KEEP_ALIVE_OUTCOMES)[number];

/**
 * Counts keep-alive outcomes in the workers' shared counters hash (field `keepalive|<outcome>`), read by
 * readPipelineMetrics for /metrics. A lost increment never fails a refresh.
 */
export async function recordKeepAliveOutcome(
  redis: RedisClient,
  prefix: string,
  outcome: KeepAliveOutcome,
): Promise<void> {
  await redis.hincrby(metricsKeys(prefix).counters, `keepalive|${outcome}`, 1).catch(() => undefined);
}
