import type { RedisClient } from '../redis/redis-client.js';
import { metricsKeys } from './pipeline-metrics.js';

/**
 * What one request to the token handout (GET /api/tokens, docs/tokens.md, "Handing out tokens") ended in:
 * `ok` (the stored token), `refreshed` (a newer token than the one stored when the request came: refreshed for
 * it, or by someone else meanwhile), `not_found` (unknown portal, webhook-only, needs re-auth, uninstalled),
 * `unauthorized` (wrong or missing secret), `rate_limited` (the portal's rate or the address's wrong-secret
 * limit), `bad_request` (a malformed query), `error` (a transient failure: the OAuth server or Redis).
 */
export const HANDOUT_OUTCOMES = [
  'ok',
  'refreshed',
  'not_found',
  'unauthorized',
  'rate_limited',
  'bad_request',
  'error',
] as const;
export type HandoutOutcome = (typeof HANDOUT_OUTCOMES)[number];

const field = (outcome: HandoutOutcome) => `handout|${outcome}`;

/**
 * Counts a handout outcome in the shared counters hash (field `handout|<outcome>`), so every `serve` process adds
 * to one count. A lost increment never fails a request.
 */
export async function recordHandoutOutcome(
  redis: RedisClient,
  prefix: string,
  outcome: HandoutOutcome,
): Promise<void> {
  await redis.hincrby(metricsKeys(prefix).counters, field(outcome), 1).catch(() => undefined);
}

/** Every outcome's count so far (0 for the ones never seen), for /metrics. */
export async function readHandoutOutcomes(
  redis: RedisClient,
  prefix: string,
): Promise<Record<HandoutOutcome, number>> {
  const values = await redis.hmget(metricsKeys(prefix).counters, ...HANDOUT_OUTCOMES.map(field));
  const counts = {} as Record<HandoutOutcome, number>;
  HANDOUT_OUTCOMES.forEach((outcome, at) => {
    counts[outcome] = Number(values[at] ?? 0);
  });
  return counts;
}
