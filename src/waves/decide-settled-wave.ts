import type { PairCounts } from '../ops/pair-counts.js';
import type { WavePlan } from './wave-plan.js';

export type SettledWaveDecision =
  | { kind: 'halt'; reason: string }
  | { kind: 'done' }
  | { kind: 'pause'; until: number }
  | { kind: 'next' };

/** 0.05 -> 5%, 1/6 -> 16.7%. */
const percent = (share: number) => `${Number((share * 100).toFixed(1))}%`;

/**
 * What follows a settled wave (no pending pair): halt when its share of failed pairs is above `haltFailures` or
 * its share of pairs needing re-authorisation is above `haltNeedsReauth` (so 0% halts on the first such pair);
 * otherwise the plan is done after the last wave, pauses `pauseMs` or starts the next wave. The last wave gates
 * nothing, so it is not checked: its counts are shown, and `rollout --wait` exits 1 when a pair failed.
 */
export function decideSettledWave(
  plan: Pick<WavePlan, 'wave' | 'waveSizes' | 'haltFailures' | 'haltNeedsReauth' | 'pauseMs'>,
  counts: Pick<PairCounts, 'total' | 'failed' | 'needs_reauth'>,
  now: number,
): SettledWaveDecision {
  const waves = plan.waveSizes.length;
  if (plan.wave >= waves) return { kind: 'done' };
  const total = Math.max(counts.total, 1);
  const failedShare = counts.failed / total;
  const reauthShare = counts.needs_reauth / total;
  const problems: string[] = [];
  if (failedShare > plan.haltFailures) {
    problems.push(
      `${counts.failed} of ${counts.total} pairs failed (${percent(failedShare)}, above --halt-failures ${percent(plan.haltFailures)})`,
    );
  }
  if (reauthShare > plan.haltNeedsReauth) {
    problems.push(
      `${counts.needs_reauth} of ${counts.total} pairs need re-authorisation (${percent(reauthShare)}, above ` +
        `--halt-needs-reauth ${percent(plan.haltNeedsReauth)})`,
    );
  }
  if (problems.length > 0)
    return { kind: 'halt', reason: `wave ${plan.wave} of ${waves}: ${problems.join('; ')}` };
  if (plan.pauseMs > 0) return { kind: 'pause', until: now + plan.pauseMs };
  return { kind: 'next' };
}
