import type { ProgressCounts } from '../ops/progress-counts.js';
import type { ResultStore } from '../store/result-store.js';
import { formatFailingPairs, formatPlanHeadline, formatWaveLine } from './format-wave-plan.js';
import { readWaveRecord } from './read-wave-counts.js';
import { rolloutIdOfWave, type WavePlan, waveCount } from './wave-plan.js';

export interface WaveView {
  wave: number;
  rolloutId: string;
  portals: number;
  /**
   * Undefined for a wave not started yet. The wave's lasting record (readWaveRecord): later rollouts of the same
   * pairs do not take its figures away.
   */
  counts: ProgressCounts | undefined;
  /** Pairs a later rollout took over while still pending in this wave (in no count above). */
  takenOver: number;
}

/** Each wave with its counts: the waves started so far (1 to the current one); later ones without. */
export async function readWaveViews(deps: { results: ResultStore }, plan: WavePlan): Promise<WaveView[]> {
  const views: WaveView[] = [];
  for (let wave = 1; wave <= waveCount(plan); wave++) {
    const record = wave <= plan.wave ? await readWaveRecord(deps, plan, wave) : undefined;
    views.push({
      wave,
      rolloutId: rolloutIdOfWave(plan, wave),
      portals: plan.waveSizes[wave - 1] ?? 0,
      counts: record?.counts,
      takenOver: record?.takenOver ?? 0,
    });
  }
  return views;
}

/** A plan as text: headline, one line per wave, the failing pairs of a halted wave. */
export async function describeWavePlan(deps: { results: ResultStore }, plan: WavePlan): Promise<string[]> {
  const views = await readWaveViews(deps, plan);
  return [
    formatPlanHeadline(plan),
    ...views.map((v) => formatWaveLine(plan, v.wave, v.counts, v.takenOver)),
    ...(plan.state === 'halted' ? formatFailingPairs(plan) : []),
  ];
}
