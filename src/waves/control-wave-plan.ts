import type { Queue } from 'bullmq';
import { type PairJob, pairJobId } from '../pipeline/pair-job.js';
import type { ResultStore } from '../store/result-store.js';
import { wavePairs } from './read-wave-counts.js';
import { type WavePlan, type WavePlanChange, waveCount } from './wave-plan.js';
import { UnknownWavePlanError, WavePlanStateError } from './wave-plan-errors.js';
import type { WavePlanStore } from './wave-plan-store.js';

export type WavePlanCommand = 'resume' | 'abort' | 'skip-wave';
/** A command on a stored plan: the wave controls, or `--promote` (promoteWavePlan). */
export type PlanControlCommand = WavePlanCommand | 'promote';

export interface ControlDeps {
  plans: WavePlanStore;
  results: ResultStore;
  queue: Queue<PairJob>;
}

export interface ControlOutcome {
  plan: WavePlan;
  /** abort: jobs removed from the queue (waiting, prioritized or delayed) and their pairs marked failed. */
  removedJobs?: number;
  /** abort: pairs whose job was running and is left to finish. */
  leftRunning?: number;
}

const CHUNK = 1_000;

function describe(plan: WavePlan): string {
  const waves = waveCount(plan);
  switch (plan.state) {
    case 'running':
      return `running wave ${plan.wave} of ${waves}`;
    case 'pausing':
      return `pausing after wave ${plan.wave} of ${waves}`;
    case 'halted':
      return `halted at wave ${plan.wave} of ${waves}`;
    case 'aborted':
      return `aborted at wave ${plan.wave} of ${waves}`;
    default:
      return plan.state;
  }
}

async function load(plans: WavePlanStore, id: string): Promise<WavePlan> {
  const plan = await plans.get(id);
  if (!plan) {
    throw new UnknownWavePlanError(
      `no wave plan ${id}: see \`imbot-rollout status\` for the plans and their ids`,
    );
  }
  return plan;
}

/**
 * The next state for `command`, or a WavePlanStateError naming the state:
 * - resume (halted only): a wave halted after it settled is accepted as it is and the next wave starts now (its
 *   own checks still apply); a wave that could not be queued is queued again.
 * - skip-wave (running with its wave queued, pausing or halted; not on the last wave): the next wave starts now,
 *   without waiting for the current wave to settle and without its checks; its pending pairs go on.
 * - abort (running, pausing or halted): no further wave starts (see abortJobs for the queued ones).
 */
export function nextForCommand(plan: WavePlan, command: WavePlanCommand): WavePlanChange {
  const waves = waveCount(plan);
  const last = plan.wave >= waves;
  if (plan.state === 'done' || plan.state === 'aborted') {
    throw new WavePlanStateError(`wave plan ${plan.id} is ${plan.state}: nothing to ${command}`);
  }
  if (command === 'abort') {
    return { state: 'aborted', reason: `aborted by an operator at wave ${plan.wave} of ${waves}` };
  }
  if (command === 'resume') {
    if (plan.state !== 'halted') {
      throw new WavePlanStateError(
        `wave plan ${plan.id} is ${describe(plan)}, not halted: --resume continues a halted plan ` +
          '(--skip-wave starts the next wave now)',
      );
    }
    if (plan.enqueued < plan.wave) return { state: 'running', reason: undefined };
    if (last) return { state: 'done', reason: undefined };
    return { state: 'running', wave: plan.wave + 1, reason: undefined };
  }
  if (plan.state === 'running' && plan.enqueued < plan.wave) {
    throw new WavePlanStateError(
      `wave plan ${plan.id} is still queueing wave ${plan.wave} of ${waves}: try --skip-wave again in a moment`,
    );
  }
  if (last) {
    throw new WavePlanStateError(
      `wave plan ${plan.id} is ${describe(plan)}: that is the last wave, there is no next wave to skip to`,
    );
  }
  return { state: 'running', wave: plan.wave + 1, pauseUntil: undefined, reason: undefined };
}

/**
 * Abort: removes the queued jobs (waiting, prioritized, delayed) of the pending pairs of every wave started so
 * far and marks those pairs failed with ROLLOUT_ABORTED (`retry` re-queues them); a job a worker is running now
 * cannot be removed and finishes normally.
 */
async function abortJobs(deps: ControlDeps, plan: WavePlan): Promise<{ removed: number; running: number }> {
  let removed = 0;
  let running = 0;
  for (let wave = 1; wave <= Math.min(plan.wave, plan.enqueued + 1); wave++) {
    const pairs = await wavePairs(deps.plans, plan, wave);
    for (let i = 0; i < pairs.length; i += CHUNK) {
      const chunk = pairs.slice(i, i + CHUNK);
      const states = await deps.results.statesOf(chunk);
      const pending = chunk.filter((_, index) => states[index]?.state === 'pending');
      for (const pair of pending) {
        const gone = await deps.queue.remove(pairJobId(pair.domain, pair.code));
        if (gone !== 1) {
          running++;
          continue;
        }
        removed++;
        await deps.results.recordFailure(pair.domain, pair.code, {
          op: 'abort',
          error: {
            code: 'ROLLOUT_ABORTED',
            message: `wave plan ${plan.id} was aborted before this pair was done; \`imbot-rollout retry\` queues it again`,
          },
          final: true,
        });
      }
    }
  }
  return { removed, running };
}

/**
 * `rollout --promote ID` (and POST /api/rollouts/:id/promote): makes a finished plan's definitions the stable ones
 * of their CODEs, what a portal that installs the application gets (docs/waves.md, "Stable definitions"), e.g. to
 * go back to an earlier version. Refused, naming the state, for a plan that is not done.
 */
export async function promoteWavePlan(deps: Pick<ControlDeps, 'plans'>, id: string): Promise<WavePlan> {
  for (let tries = 0; tries < 5; tries++) {
    const plan = await load(deps.plans, id);
    if (plan.state !== 'done') {
      throw new WavePlanStateError(
        `${plan.single ? 'rollout' : 'wave plan'} ${plan.id} is ${describe(plan)}, not done: --promote makes a ` +
          'finished plan stable (a plan that ends done is made stable by itself)',
      );
    }
    const promoted = await deps.plans.transition(plan, {}, { promote: true });
    if (promoted) return promoted;
  }
  throw new WavePlanStateError(`wave plan ${id} kept changing while promote was tried: try again`);
}

/** `rollout --resume/--abort/--skip-wave ID` (and the API's POST routes): one compare-and-set transition. */
export async function controlWavePlan(
  deps: ControlDeps,
  id: string,
  command: WavePlanCommand,
): Promise<ControlOutcome> {
  for (let tries = 0; tries < 5; tries++) {
    const plan = await load(deps.plans, id);
    const changed = await deps.plans.transition(plan, nextForCommand(plan, command));
    if (!changed) continue; // a controller moved the plan meanwhile: judge the new state
    if (command !== 'abort') return { plan: changed };
    const { removed, running } = await abortJobs(deps, changed);
    return { plan: changed, removedJobs: removed, leftRunning: running };
  }
  throw new WavePlanStateError(`wave plan ${id} kept changing while ${command} was tried: try again`);
}
