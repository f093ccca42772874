import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { PlanEntry, PlanSummary } from './plan-summary.js';
import { BLOCKED_REASONS, PLAN_ACTIONS } from './predict-pair-action.js';

export const PLAN_FILE_KIND = 'imbot-rollout-plan';

/**
 * What a plan was computed from, enough to compute it again and to queue it (`rollout --apply`). No secret: the
 * files are named by path, the apps by CODE and definition hash, the portals by count and a SHA-256 digest of the
 * validated entries (docs/operations.md, "Plan before apply").
 */
export const planRequestSchema = z
  .object({
    apps: z
      .object({
        file: z.string().min(1),
        definitions: z.array(z.object({ code: z.string(), defHash: z.string() }).strict()),
      })
      .strict()
      .nullable(),
    portals: z
      .object({ file: z.string().min(1), count: z.number().int().nonnegative(), digest: z.string() })
      .strict()
      .nullable(),
    recreate: z.boolean(),
    replace: z.boolean(),
    waves: z
      .object({
        percents: z.array(z.number()).min(1),
        haltFailures: z.number(),
        haltNeedsReauth: z.number(),
        pauseMs: z.number().int().nonnegative(),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type PlanRequestRecord = z.infer<typeof planRequestSchema>;

const count = z.number().int().nonnegative();
const counts = z
  .object({
    register: count,
    update: count,
    recreate: count,
    unregister: count,
    unchanged: count,
    blocked: count,
    conflict: count,
  })
  .strict() satisfies z.ZodType<Record<(typeof PLAN_ACTIONS)[number], number>>;

export const planEntrySchema = z
  .object({
    domain: z.string(),
    code: z.string(),
    wave: z.number().int().positive().optional(),
    action: z.enum(PLAN_ACTIONS),
    fields: z.array(z.string()).optional(),
    adoption: z.literal(true).optional(),
    recreateReason: z.enum(['icon', 'kind']).optional(),
    refused: z.literal(true).optional(),
    blocked: z.enum(BLOCKED_REASONS).optional(),
    rolloutId: z.string().optional(),
  })
  .strict();

/** A saved plan (`rollout --plan --out plan.json`, or `--json`): one entry per pair. */
export const planFileSchema = z
  .object({
    kind: z.literal(PLAN_FILE_KIND),
    version: z.literal(1),
    id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
    createdAt: z.iso.datetime(),
    request: planRequestSchema,
    pairs: z.array(planEntrySchema),
    summary: z
      .object({
        pairs: z.number().int().nonnegative(),
        totals: counts,
        byCode: z.record(z.string(), counts),
        byWave: z.array(counts),
        fieldsByCode: z.record(z.string(), z.record(z.string(), z.number())),
        blocked: z.record(z.string(), z.number()),
        conflicts: z.array(z.object({ code: z.string(), rolloutId: z.string(), pairs: z.number() }).strict()),
        refusedRecreates: z.record(z.string(), z.number()),
        fingerprint: z.string(),
      })
      .strict(),
    fingerprint: z.string(),
  })
  .strict();
export type PlanFile = z.infer<typeof planFileSchema>;

/**
 * Writes a plan document as its pairs are computed: the header, then one entry per line, then the summary and
 * fingerprint (known only at the end). Waits for the stream to drain, so a 100,000-pair plan is never held whole.
 */
export function createPlanWriter(
  out: Writable,
  header: { id: string; createdAt: string; request: PlanRequestRecord },
): { write(entry: PlanEntry): Promise<void>; end(summary: PlanSummary): Promise<void> } {
  let first = true;
  let started = false;
  async function put(text: string): Promise<void> {
    if (!out.write(text)) await once(out, 'drain');
  }
  async function start(): Promise<void> {
    if (started) return;
    started = true;
    const head = JSON.stringify({ kind: PLAN_FILE_KIND, version: 1, ...header });
    await put(`${head.slice(0, -1)},\n"pairs": [`);
  }
  return {
    async write(entry) {
      await start();
      await put(`${first ? '\n' : ',\n'}${JSON.stringify(entry)}`);
      first = false;
    },
    async end(summary) {
      await start();
      await put(
        `\n],\n"summary": ${JSON.stringify(summary)},\n"fingerprint": ${JSON.stringify(summary.fingerprint)}\n}\n`,
      );
    },
  };
}
