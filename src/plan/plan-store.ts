import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { type PlanFile, planEntrySchema, planFileSchema } from './plan-file.js';
import type { PlanEntry, PlanSummary } from './plan-summary.js';

/** Entries written per RPUSH while a plan is computed. */
const WRITE_CHUNK = 1_000;

export type PlanHeader = Pick<PlanFile, 'id' | 'createdAt' | 'request'>;

/**
 * Plans made through the API (`POST /api/plans`), kept for `plan.maxAgeMs` (after which `--apply` would refuse them
 * anyway): the header and summary in one string, the pairs in a list, both under the plan's own hash tag. The
 * pairs are written in chunks as they are computed (never all in memory) and read a page at a time.
 */
export function createPlanStore(options: { redis: RedisClient; keys: RedisKeys; ttlMs: number }) {
  const { redis, keys, ttlMs } = options;
  return {
    /** A writer for one plan's pairs; `end` stores the header and summary, and makes the plan readable. */
    writer(header: PlanHeader) {
      let pending: string[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        const chunk = pending;
        pending = [];
        await redis.rpush(keys.savedPlanPairs(header.id), ...chunk);
        await redis.pexpire(keys.savedPlanPairs(header.id), ttlMs);
      };
      return {
        async write(entry: PlanEntry): Promise<void> {
          pending.push(JSON.stringify(entry));
          if (pending.length >= WRITE_CHUNK) await flush();
        },
        async end(summary: PlanSummary): Promise<void> {
          await flush();
          const document = {
            kind: 'imbot-rollout-plan',
            version: 1,
            ...header,
            summary,
            fingerprint: summary.fingerprint,
          };
          await redis.set(keys.savedPlan(header.id), JSON.stringify(document), 'PX', ttlMs);
        },
      };
    },

    /** The plan's header and summary, and one page of its pairs; undefined for an unknown or expired plan. */
    async page(
      id: string,
      page: { offset: number; limit: number },
    ): Promise<{ plan: Omit<PlanFile, 'pairs'>; total: number; pairs: PlanEntry[] } | undefined> {
      const raw = await redis.get(keys.savedPlan(id));
      if (raw === null) return undefined;
      const plan = planFileSchema.omit({ pairs: true }).parse(JSON.parse(raw));
      const [total, lines] = await Promise.all([
        redis.llen(keys.savedPlanPairs(id)),
        redis.lrange(keys.savedPlanPairs(id), page.offset, page.offset + page.limit - 1),
      ]);
      return {
        plan,
        total,
        pairs: lines.map((line) => planEntrySchema.parse(JSON.parse(line)) as PlanEntry),
      };
    },

    /** The whole plan, as a saved plan file reads (for applying it). */
    async read(id: string): Promise<PlanFile | undefined> {
      const raw = await redis.get(keys.savedPlan(id));
      if (raw === null) return undefined;
      const pairs: unknown[] = [];
      const total = await redis.llen(keys.savedPlanPairs(id));
      for (let at = 0; at < total; at += WRITE_CHUNK) {
        for (const line of await redis.lrange(keys.savedPlanPairs(id), at, at + WRITE_CHUNK - 1))
          pairs.push(JSON.parse(line));
      }
      return planFileSchema.parse({ ...(JSON.parse(raw) as object), pairs });
    },
  };
}

export type PlanStore = ReturnType<typeof createPlanStore>;
