import type { InputProblem } from '../input/input-error.js';
import type { PairResult } from '../store/pair-result.js';

/** What is known of a rollout, to name it in a conflict (stored by enqueueRollout under `keys.rollout(id)`). */
export interface RolloutRecord {
  id: string;
  startedAt: string;
  source: string;
}

/**
 * Whether a pair is still in flight (pending) towards another definition than `defHash`: a rollout asking for
 * `defHash` then conflicts with the one in flight. Shared by the producer (findInFlightConflicts) and the plan
 * (src/plan/predict-pair-action.ts), so the two cannot disagree.
 */
export function isInFlightConflict(result: PairResult | undefined, defHash: string): boolean {
  if (result?.state !== 'pending' || result.desired !== 'present') return false;
  return result.desiredDefHash !== undefined && result.desiredDefHash !== defHash;
}

/**
 * Pairs still in flight (pending) towards another definition than the one now asked, grouped by app CODE and the
 * rollout that asked for them. Two rollouts with different definitions of one CODE would otherwise race, and the
 * last writer would win silently. `current` is each wanted pair's stored result (same order).
 */
export async function findInFlightConflicts(
  wanted: readonly { domain: string; code: string; defHash: string }[],
  current: readonly (PairResult | undefined)[],
  readRollout: (id: string) => Promise<RolloutRecord | undefined>,
): Promise<InputProblem[]> {
  const byCode = new Map<string, Map<string, number>>();
  for (const [index, pair] of wanted.entries()) {
    const result = current[index];
    if (!isInFlightConflict(result, pair.defHash)) continue;
    const rollouts = byCode.get(pair.code) ?? new Map<string, number>();
    const id = result?.rolloutId ?? '';
    rollouts.set(id, (rollouts.get(id) ?? 0) + 1);
    byCode.set(pair.code, rollouts);
  }
  const problems: InputProblem[] = [];
  for (const [code, rollouts] of byCode) {
    for (const [id, portals] of rollouts) {
      const record = id === '' ? undefined : await readRollout(id);
      const named = record
        ? `rollout ${record.id} (started ${record.startedAt}, from ${record.source})`
        : id === ''
          ? 'an earlier rollout'
          : `rollout ${id}`;
      problems.push({
        where: `apps[CODE=${code}]`,
        message:
          `${named} is still applying another definition of ${code} to ${portals} portal(s); wait until it ` +
          'has settled (`imbot-rollout status`), or give --replace to apply this definition instead',
      });
    }
  }
  return problems;
}
