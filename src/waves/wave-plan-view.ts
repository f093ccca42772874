import type { PairCounts } from '../ops/pair-counts.js';
import type { RedisClient } from '../redis/redis-client.js';
import { readStableApps } from '../store/read-stable-apps.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { ResultStore } from '../store/result-store.js';
import { nextForCommand, type PlanControlCommand } from './control-wave-plan.js';
import { readWaveRecord } from './read-wave-counts.js';
import {
  type FailingPair,
  rolloutIdOfWave,
  type WavePlan,
  type WavePlanState,
  waveCount,
} from './wave-plan.js';
import { WavePlanStateError } from './wave-plan-errors.js';
import { createWavePlanStore } from './wave-plan-store.js';

/** One wave of a plan as it is shown. */
export interface WaveView {
  wave: number;
  rolloutId: string;
  portals: number;
  /**
   * Null for a wave not started yet. The wave's lasting record (readWaveRecord): later rollouts of the same pairs
   * do not take its figures away.
   */
  counts: PairCounts | null;
  /** Pairs a later rollout took over while still pending in this wave (in no count above). */
  takenOver: number;
}

/**
 * A wave plan as `status`, `rollout --wait`, GET /api/rollouts[/:id] and the dashboard show it (docs/waves.md,
 * "Where a plan is shown"): plain JSON, so the CLI's text (formatWavePlan) can be made from the API's answer.
 */
export interface WavePlanView {
  id: string;
  /** A plain rollout (`rollout` without `--waves`), shown as a one-wave plan under its rollout id. */
  single: boolean;
  state: WavePlanState;
  /** The current wave (1-based) and the number of waves. */
  wave: number;
  waves: number;
  /** The current wave's jobs are still being queued. */
  queueing: boolean;
  source: string;
  apps: string[];
  percents: number[];
  /** A settled wave halts the plan when its share of pairs in that state is above this (0..1). */
  thresholds: { failed: number; needs_reauth: number };
  pauseMs: number;
  pauseUntil: string | null;
  reason: string | null;
  failing: FailingPair[];
  failingTotal: number;
  createdAt: string;
  updatedAt: string;
  waveCounts: WaveView[];
  /** The CODEs whose stable definition (what new installs get) is this plan's (docs/waves.md). */
  stableFor: string[];
  /** The next step: the commands that apply to the plan now (`rollout --<command> ID`, POST .../<command>). */
  commands: PlanControlCommand[];
}

/** How many plans `status` and GET /api/rollouts show (the newest). */
export const PLANS_SHOWN = 10;

type ViewDeps = { results: ResultStore; redis: RedisClient; keys: RedisKeys };

/** Each wave with its counts: the waves started so far (1 to the current one); later ones without. */
async function readWaveViews(deps: { results: ResultStore }, plan: WavePlan): Promise<WaveView[]> {
  const views: WaveView[] = [];
  for (let wave = 1; wave <= waveCount(plan); wave++) {
    const record = wave <= plan.wave ? await readWaveRecord(deps, plan, wave) : undefined;
    views.push({
      wave,
      rolloutId: rolloutIdOfWave(plan, wave),
      portals: plan.waveSizes[wave - 1] ?? 0,
      counts: record?.counts ?? null,
      takenOver: record?.takenOver ?? 0,
    });
  }
  return views;
}

/** The wave commands nextForCommand accepts now, then promote for a done plan not (all) stable yet. */
function commandsFor(plan: WavePlan, stableFor: readonly string[]): PlanControlCommand[] {
  const commands: PlanControlCommand[] = [];
  for (const command of ['resume', 'skip-wave', 'abort'] as const) {
    try {
      nextForCommand(plan, command);
      commands.push(command);
    } catch (error) {
      if (!(error instanceof WavePlanStateError)) throw error;
    }
  }
  if (plan.state === 'done' && stableFor.length < plan.apps.length) commands.push('promote');
  return commands;
}

export async function readWavePlanView(deps: ViewDeps, plan: WavePlan): Promise<WavePlanView> {
  const [stable, waveCounts] = await Promise.all([readStableApps(deps), readWaveViews(deps, plan)]);
  const stableFor = stable.filter((s) => s.planId === plan.id).map((s) => s.code);
  return {
    id: plan.id,
    single: plan.single,
    state: plan.state,
    wave: plan.wave,
    waves: waveCount(plan),
    queueing: plan.state === 'running' && plan.enqueued < plan.wave,
    source: plan.source,
    apps: plan.apps.map((a) => a.code),
    percents: plan.percents,
    thresholds: { failed: plan.haltFailures, needs_reauth: plan.haltNeedsReauth },
    pauseMs: plan.pauseMs,
    pauseUntil: plan.pauseUntil === undefined ? null : new Date(plan.pauseUntil).toISOString(),
    reason: plan.reason ?? null,
    failing: plan.failing,
    failingTotal: plan.failingTotal,
    createdAt: new Date(plan.createdAt).toISOString(),
    updatedAt: new Date(plan.updatedAt).toISOString(),
    waveCounts,
    stableFor,
    commands: commandsFor(plan, stableFor),
  };
}

/** The newest PLANS_SHOWN plans (plain rollouts included), newest first. */
export async function readWavePlanViews(deps: ViewDeps): Promise<WavePlanView[]> {
  const plans = await createWavePlanStore(deps).list(PLANS_SHOWN);
  return await Promise.all(plans.map((plan) => readWavePlanView(deps, plan)));
}
