import type { RedisClient } from '../redis/redis-client.js';
import { readStableApps } from '../store/read-stable-apps.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { ResultStore } from '../store/result-store.js';
import { describeWavePlan, readWaveViews, type WaveView } from './describe-wave-plan.js';
import { type FailingPair, type WavePlan, type WavePlanState, waveCount } from './wave-plan.js';
import { createWavePlanStore } from './wave-plan-store.js';

/** A wave plan as the API and the dashboard show it (GET /api/rollouts/:id). */
export interface WavePlanView {
  id: string;
  /** A plain rollout (`rollout` without `--waves`), shown as a one-wave plan under its rollout id. */
  single: boolean;
  state: WavePlanState;
  /** The current wave (1-based) and the number of waves. */
  wave: number;
  waves: number;
  source: string;
  apps: string[];
  percents: number[];
  thresholds: { failures: number; needsReauth: number };
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
}

export async function toWavePlanView(
  deps: { results: ResultStore; redis: RedisClient; keys: RedisKeys },
  plan: WavePlan,
): Promise<WavePlanView> {
  const stable = await readStableApps(deps);
  return {
    id: plan.id,
    single: plan.single,
    state: plan.state,
    wave: plan.wave,
    waves: waveCount(plan),
    source: plan.source,
    apps: plan.apps.map((a) => a.code),
    percents: plan.percents,
    thresholds: { failures: plan.haltFailures, needsReauth: plan.haltNeedsReauth },
    pauseMs: plan.pauseMs,
    pauseUntil: plan.pauseUntil === undefined ? null : new Date(plan.pauseUntil).toISOString(),
    reason: plan.reason ?? null,
    failing: plan.failing,
    failingTotal: plan.failingTotal,
    createdAt: new Date(plan.createdAt).toISOString(),
    updatedAt: new Date(plan.updatedAt).toISOString(),
    waveCounts: await readWaveViews(deps, plan),
    stableFor: stable.filter((s) => s.planId === plan.id).map((s) => s.code),
  };
}

/** How many plans `status` and GET /api/rollouts show (the newest). */
export const PLANS_SHOWN = 10;

/** `status`: the newest wave plans with their waves ('' when there is none). */
export async function wavePlansText(deps: {
  redis: RedisClient;
  keys: RedisKeys;
  results: ResultStore;
}): Promise<string> {
  const plans = await createWavePlanStore(deps).list(PLANS_SHOWN);
  if (plans.length === 0) return '';
  const blocks = [];
  for (const plan of plans) blocks.push((await describeWavePlan(deps, plan)).join('\n'));
  return `\nwave plans (newest first):\n${blocks.join('\n')}\n`;
}
