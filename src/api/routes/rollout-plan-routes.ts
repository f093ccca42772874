import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PairJob } from '../../pipeline/pair-job.js';
import type { RedisClient } from '../../redis/redis-client.js';
import type { RedisKeys } from '../../store/redis-keys.js';
import type { ResultStore } from '../../store/result-store.js';
import { controlWavePlan, promoteWavePlan, type WavePlanCommand } from '../../waves/control-wave-plan.js';
import { readAppVersions } from '../../waves/read-app-versions.js';
import { UnknownWavePlanError, WavePlanStateError } from '../../waves/wave-plan-errors.js';
import { createWavePlanStore } from '../../waves/wave-plan-store.js';
import { readWavePlanView, readWavePlanViews } from '../../waves/wave-plan-view.js';
import { parseInput } from '../parse-input.js';

export const planParamsSchema = z.object({
  id: z
    .string({ error: 'must be a wave plan id' })
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a wave plan id, as GET /api/rollouts lists them'),
});

const COMMANDS: readonly WavePlanCommand[] = ['resume', 'abort', 'skip-wave'];

/**
 * Wave plans (`rollout --waves`, docs/waves.md) and plain rollouts (one-wave plans under their rollout id):
 * GET /api/rollouts (the newest plans with each wave's counts), GET /api/rollouts/:id, and
 * POST /api/rollouts/:id/resume | abort | skip-wave | promote (the same as `rollout --resume` ...: 404 for an
 * unknown plan, 409 with the plan's state when the command does not apply to it); GET /api/apps: each CODE's
 * stable definition against its plans in flight. The POST routes are behind the same token and same-origin
 * checks as every other POST (build-api.ts).
 */
export function rolloutPlanRoutes(
  app: FastifyInstance,
  deps: {
    redis: RedisClient;
    keys: RedisKeys;
    results: ResultStore;
    queue: Queue<PairJob>;
    /** `events.appsFile`: install events take that file instead of the stable definitions. */
    appsFile?: string | undefined;
  },
): void {
  const plans = createWavePlanStore(deps);

  app.get('/api/apps', async () => ({
    apps: await readAppVersions(deps),
    installsFrom: deps.appsFile === undefined ? 'stable' : 'events.appsFile',
    appsFile: deps.appsFile ?? null,
  }));

  app.post('/api/rollouts/:id/promote', async (request, reply) => {
    const { id } = parseInput(planParamsSchema, request.params, 'params');
    try {
      return { plan: await readWavePlanView(deps, await promoteWavePlan({ plans }, id)) };
    } catch (error) {
      if (error instanceof UnknownWavePlanError)
        return reply.code(404).send({ error: 'not_found', message: error.message });
      if (error instanceof WavePlanStateError)
        return reply.code(409).send({ error: 'wrong_state', message: error.message });
      throw error;
    }
  });

  app.get('/api/rollouts', async () => {
    return { plans: await readWavePlanViews(deps) };
  });

  app.get('/api/rollouts/:id', async (request, reply) => {
    const { id } = parseInput(planParamsSchema, request.params, 'params');
    const plan = await plans.get(id);
    if (!plan) return reply.code(404).send({ error: 'not_found', message: `no wave plan ${id}` });
    return await readWavePlanView(deps, plan);
  });

  for (const command of COMMANDS) {
    app.post(`/api/rollouts/:id/${command}`, async (request, reply) => {
      const { id } = parseInput(planParamsSchema, request.params, 'params');
      try {
        const outcome = await controlWavePlan(
          { plans, results: deps.results, queue: deps.queue },
          id,
          command,
        );
        return {
          plan: await readWavePlanView(deps, outcome.plan),
          ...(command === 'abort'
            ? { removedJobs: outcome.removedJobs ?? 0, leftRunning: outcome.leftRunning ?? 0 }
            : {}),
        };
      } catch (error) {
        if (error instanceof UnknownWavePlanError)
          return reply.code(404).send({ error: 'not_found', message: error.message });
        if (error instanceof WavePlanStateError)
          return reply.code(409).send({ error: 'wrong_state', message: error.message });
        throw error;
      }
    });
  }
}
