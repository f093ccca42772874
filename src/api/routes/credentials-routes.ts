import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readCredentialPage } from '../../ops/read-credential-health.js';
import type { RedisClient } from '../../redis/redis-client.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import { parseInput } from '../parse-input.js';

const wholeNumber = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`)
    .default(fallback);

export const credentialsQuerySchema = z
  .object({
    offset: wholeNumber(0, 10_000_000, 0),
    limit: wholeNumber(1, 500, 50),
    only: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .enum(['due'], { error: 'must be "due" (the portals keep-alive will refresh), or left out' })
        .optional(),
    ),
  })
  .strict();

/**
 * GET /api/credentials: the OAuth portals' credential health (docs/tokens.md): a summary, and one page of
 * portals, oldest last refresh first (`only=due`: the ones keep-alive refreshes next). Read from the credential
 * index: O(page), whatever the fleet's size. The summary's `arrangement` says who owns the tokens (owned and
 * borrowed portals, the handout, the token source's health). No token or secret is ever in the answer.
 */
export function credentialsRoutes(
  app: FastifyInstance,
  deps: {
    redis: RedisClient;
    keys: RedisKeys;
    keepAliveAfterDays: number;
    now: () => number;
    /** Whether the handout and the token source are configured (the summary's `arrangement`). */
    arrangement?: { handout: boolean; sourceConfigured: boolean };
  },
): void {
  app.get('/api/credentials', async (request) => {
    const query = parseInput(credentialsQuerySchema, request.query, 'query');
    return await readCredentialPage(deps.redis, deps.keys, {
      keepAliveAfterDays: deps.keepAliveAfterDays,
      now: deps.now(),
      offset: query.offset,
      limit: query.limit,
      only: query.only,
      arrangement: deps.arrangement,
    });
  });
}
