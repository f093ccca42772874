import type { ProgressCounts } from '../ops/progress-counts.js';
import type { ResultStore } from '../store/result-store.js';
import { formatFailingPairs, formatPlanHeadline, formatWaveLine } from './format-wave-plan.js';
import { readWaveCounts } from './read-wave-counts.js';
import { type WavePlan, waveCount, waveRolloutId } from './wave-plan.js';

export interface WaveView {
  wave: number;
  rolloutId: string;
  portals: number;
  /** Undefined for a wave not started yet. */
  counts: ProgressCounts | undefined;
}

/** Each wave with its counts: the waves started so far (1 to the current one); later ones without. */
export async function readWaveViews(deps: { results: ResultStore }, plan: WavePlan): Promise<WaveView[]> {
  const views: WaveView[] = [];
  for (let wave = 1; wave <= waveCount(plan); wave++) {
    views.push({
      wave,
      rolloutId: waveRolloutId(plan.id, wave),
      portals: plan.waveSizes[wave - 1] ?? 0,
      counts: wave <= plan.wave ? await readWaveCounts(deps, plan, wave) : undefined,
    });
  }
  return views;
}

/** A plan as text: headline, one line per wave, the failing pairs of a halted wave. */
export async function describeWavePlan(deps: { results: ResultStore }, plan: WavePlan): Promise<string[]> {
  const views = await readWaveViews(deps, plan);
  return [
    formatPlanHeadline(plan),
    ...views.map((v) => formatWaveLine(plan, v.wave, v.counts)),
    ...(plan.state === 'halted' ? formatFailingPairs(plan) : []),
  ];
}
