import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDefinition } from '../../apps/app-definition-schema.js';
import { OperatorError } from '../../errors/operator-error.js';
import { enqueueRollout } from '../../pipeline/enqueue-rollout.js';
import { checkPlanHolds } from '../../plan/check-plan-holds.js';
import { computeRolloutPlan, type PlanDeps } from '../../plan/compute-rollout-plan.js';
import type { PlanRequestRecord } from '../../plan/plan-file.js';
import { createPlanStore } from '../../plan/plan-store.js';
import type { Runtime } from '../../runtime/create-runtime.js';
import { createWavePlanStore } from '../../waves/wave-plan-store.js';
import { parseInput } from '../parse-input.js';

export const planIdSchema = z
  .object({ id: z.string().regex(/^p-[a-z0-9-]{1,60}$/, 'must be a plan id such as p-lx2k9a-1f2e3d') })
  .strict();

export const createPlanBodySchema = z
  .object({
    /** Whose definitions: the last rollout's (the default), or those a wave plan (`rollout --waves`) recorded. */
    apps: z
      .union([
        z.literal('last-rollout'),
        z.object({ wavePlan: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/) }).strict(),
      ])
      .default('last-rollout'),
    recreate: z.boolean().default(false),
    replace: z.boolean().default(false),
  })
  .strict();

export const planPageQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

/** The definitions stored under these hashes, or the hash of the first one missing. */
async function definitionsOf(
  deps: PlanDeps,
  recorded: readonly { code: string; defHash: string }[],
): Promise<AppDefinition[] | { missing: string }> {
  const apps: AppDefinition[] = [];
  for (const { code, defHash } of recorded) {
    const app = await deps.definitions.get(defHash);
    if (!app) return { missing: `${code} (${defHash.slice(0, 12)})` };
    apps.push(app);
  }
  return apps;
}

/**
 * Plans through the API (docs/http-api.md, docs/operations.md "Plan before apply"), behind the same token and
 * same-origin checks as every POST: `POST /api/plans` computes a plan for the stored portals from the last
 * rollout's definitions or a wave plan's, and keeps it (plan.maxAgeMs); `GET /api/plans/:id` reads its counts
 * and a page of its pairs; `POST /api/plans/:id/apply` queues it after checking it still holds (as
 * `rollout --apply`), answering 409 with the changed pairs otherwise.
 */
export function planRoutes(
  app: FastifyInstance,
  deps: Pick<
    Runtime,
    'config' | 'results' | 'definitions' | 'portals' | 'redis' | 'keys' | 'now' | 'queue' | 'logger'
  >,
): void {
  const plans = createPlanStore({ redis: deps.redis, keys: deps.keys, ttlMs: deps.config.plan.maxAgeMs });

  app.post('/api/plans', async (request, reply) => {
    const body = parseInput(createPlanBodySchema, request.body ?? {}, 'body');
    let recorded: { code: string; defHash: string }[] = [];
    let source: string;
    if (body.apps === 'last-rollout') {
      source = 'stored:last-rollout';
      const raw = await deps.redis.get(deps.keys.lastRolloutDefs);
      const hashes = raw === null ? [] : (JSON.parse(raw) as string[]);
      for (const defHash of hashes) {
        const def = await deps.definitions.get(defHash);
        recorded.push({ code: def?.CODE ?? '?', defHash });
      }
    } else {
      source = `wave-plan:${body.apps.wavePlan}`;
      const wave = await createWavePlanStore({ redis: deps.redis, keys: deps.keys }).get(body.apps.wavePlan);
      if (!wave)
        return reply.code(404).send({ error: 'not_found', message: `no wave plan ${body.apps.wavePlan}` });
      recorded = wave.apps;
    }
    const apps = await definitionsOf(deps, recorded);
    if ('missing' in apps || apps.length === 0) {
      return reply.code(409).send({
        error: 'no_definitions',
        message:
          'missing' in apps
            ? `the stored definition of ${apps.missing} is gone: plan from a file with rollout --plan`
            : 'no rollout has stored definitions yet: plan from a file with rollout --plan',
      });
    }
    const header = {
      id: `p-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      createdAt: new Date(deps.now()).toISOString(),
      request: {
        apps: { file: source, definitions: recorded },
        portals: null,
        recreate: body.recreate,
        replace: body.replace,
        waves: null,
      } satisfies PlanRequestRecord,
    };
    const writer = plans.writer(header);
    const summary = await computeRolloutPlan(
      { apps, portals: undefined, recreate: body.recreate, replace: body.replace },
      deps,
      (entry) => writer.write(entry),
    );
    await writer.end(summary);
    return reply.code(201).send({ ...header, summary });
  });

  app.get('/api/plans/:id', async (request, reply) => {
    const { id } = parseInput(planIdSchema, request.params, 'params');
    const query = parseInput(planPageQuerySchema, request.query, 'query');
    const page = await plans.page(id, query);
    if (!page)
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no plan ${id} (unknown, or older than plan.maxAgeMs)` });
    return { ...page.plan, total: page.total, offset: query.offset, pairs: page.pairs };
  });

  app.post('/api/plans/:id/apply', async (request, reply) => {
    const { id } = parseInput(planIdSchema, request.params, 'params');
    const plan = await plans.read(id);
    if (!plan)
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no plan ${id} (unknown, or older than plan.maxAgeMs)` });
    const apps = await definitionsOf(deps, plan.request.apps?.definitions ?? []);
    if ('missing' in apps)
      return reply
        .code(409)
        .send({ error: 'no_definitions', message: `the stored definition of ${apps.missing} is gone` });
    const { recreate, replace } = plan.request;
    try {
      await checkPlanHolds(
        plan,
        { request: { apps, portals: undefined, recreate, replace }, record: plan.request },
        deps,
        {
          maxAgeMs: deps.config.plan.maxAgeMs,
        },
      );
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      return reply.code(409).send({ error: 'stale_plan', message: error.message });
    }
    const summary = await enqueueRollout(
      {
        apps,
        portals: undefined,
        recreate,
        replace,
        source: `plan ${plan.id} (${plan.request.apps?.file ?? 'stored'})`,
      },
      deps,
    );
    return { rolloutId: summary.rolloutId, pairs: summary.pairs.length, counts: summary.counts };
  });
}
