import type { AppDefinition } from '../apps/app-definition-schema.js';
import { OperatorError } from '../errors/operator-error.js';
import { type EnqueueDeps, enqueueRollout } from '../pipeline/enqueue-rollout.js';
import { decideSettledWave } from './decide-settled-wave.js';
import { readFailingPairs, readWaveCounts } from './read-wave-counts.js';
import { isActive, rolloutIdOfWave, type WavePlan, waveCount } from './wave-plan.js';
import type { WavePlanStore } from './wave-plan-store.js';

export type WaveControllerDeps = EnqueueDeps & { plans: WavePlanStore; now?: () => number };

/** Most transitions one call makes (settle -> next wave -> queue it is three). */
const MAX_STEPS = 4;

/**
 * Queues the jobs of one wave as the rollout `<planId>.w<k>`. Idempotent: queueing a wave again (a controller
 * died half-way) finds the pairs already pending (same definition: no conflict, no second job, the job ids are
 * deterministic) or registered (nothing queued).
 */
async function enqueueWave(deps: WaveControllerDeps, plan: WavePlan, wave: number): Promise<void> {
  const apps: AppDefinition[] = [];
  for (const { code, defHash } of plan.apps) {
    const app = await deps.definitions.get(defHash);
    if (!app) {
      throw new WaveDefinitionMissingError(
        `the definition of ${code} (${defHash.slice(0, 12)}) is no longer stored: start a new plan with --apps`,
      );
    }
    apps.push(app);
  }
  const domains = await deps.plans.waveDomains(plan.id, wave);
  await enqueueRollout(
    {
      apps,
      portals: undefined,
      domains,
      rolloutId: rolloutIdOfWave(plan, wave),
      recreate: plan.recreate,
      replace: plan.replace,
      // A plan's definitions reach new installs only once it is done (stable: docs/waves.md), not with a wave.
      rememberApps: false,
      source: `${plan.source} (plan ${plan.id}, wave ${wave} of ${waveCount(plan)})`,
    },
    deps,
  );
}

class WaveDefinitionMissingError extends OperatorError {
  override readonly name = 'WaveDefinitionMissingError' as const;
  readonly code = 'COMMAND_FAILED' as const;
}

/** One transition of an active plan, or undefined when there is nothing to do yet (or another controller won). */
async function step(deps: WaveControllerDeps, plan: WavePlan): Promise<WavePlan | undefined> {
  const now = (deps.now ?? Date.now)();
  const { plans, logger } = deps;
  if (plan.state === 'pausing') {
    if (plan.pauseUntil !== undefined && now < plan.pauseUntil) return undefined;
    return await plans.transition(plan, { state: 'running', wave: plan.wave + 1, pauseUntil: undefined });
  }
  if (plan.state !== 'running') return undefined;
  if (plan.enqueued < plan.wave) {
    try {
      await enqueueWave(deps, plan, plan.wave);
    } catch (error) {
      // A refusal an operator has to resolve (a conflicting rollout of the same CODEs, a change update cannot
      // apply): halt with it. Anything else (Redis down) is tried again on the next tick.
      if (!(error instanceof OperatorError)) throw error;
      logger.warn({ plan: plan.id, wave: plan.wave, err: { message: error.message } }, 'wave plan halted');
      return await plans.transition(plan, {
        state: 'halted',
        reason: `wave ${plan.wave} of ${waveCount(plan)} could not be queued: ${error.message}`,
        failing: [],
        failingTotal: 0,
      });
    }
    logger.info({ plan: plan.id, wave: plan.wave }, 'wave queued');
    return await plans.transition(plan, { enqueued: plan.wave });
  }
  const counts = await readWaveCounts(deps, plan, plan.wave);
  if (counts.pending > 0) return undefined;
  const decision = decideSettledWave(plan, counts, now);
  logger.info({ plan: plan.id, wave: plan.wave, counts, decision: decision.kind }, 'wave settled');
  switch (decision.kind) {
    case 'halt': {
      const { failing, total } = await readFailingPairs(deps, plan, plan.wave);
      return await plans.transition(plan, {
        state: 'halted',
        reason: decision.reason,
        failing,
        failingTotal: total,
      });
    }
    case 'done':
      // The store makes the plan's definitions stable in the same step (WAVE_PLAN_TRANSITION).
      return await plans.transition(plan, { state: 'done' });
    case 'pause':
      return await plans.transition(plan, { state: 'pausing', pauseUntil: decision.until });
    case 'next':
      return await plans.transition(plan, { wave: plan.wave + 1 });
  }
}

/**
 * Advances one plan as far as it can go now: queues its current wave if that is not finished, and once the wave
 * has settled halts it, pauses, starts the next wave or ends the plan. Every change is a compare-and-set on the
 * plan's version, so any number of controllers may call this at once; the work they can repeat (queueing a wave)
 * is idempotent. Returns the plan as it now is.
 */
export async function advanceWavePlan(deps: WaveControllerDeps, id: string): Promise<WavePlan | undefined> {
  let plan = await deps.plans.get(id);
  for (let i = 0; i < MAX_STEPS && plan && isActive(plan.state); i++) {
    const next = await step(deps, plan);
    if (!next) return await deps.plans.get(id);
    plan = next;
  }
  return plan;
}
