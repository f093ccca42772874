import { type PairCounts, pairCountsOf } from '../ops/pair-counts.js';
import type { ResultStore } from '../store/result-store.js';
import { FAILING_LIST_LIMIT, type FailingPair, rolloutIdOfWave, type WavePlan } from './wave-plan.js';
import type { WavePlanStore } from './wave-plan-store.js';

/** Every portal x app pair of one wave. */
export async function wavePairs(
  plans: WavePlanStore,
  plan: Pick<WavePlan, 'id' | 'apps'>,
  wave: number,
): Promise<{ domain: string; code: string }[]> {
  const domains = await plans.waveDomains(plan.id, wave);
  return domains.flatMap((domain) => plan.apps.map(({ code }) => ({ domain, code })));
}

/**
 * The state counts of one wave: the pairs recorded under the wave's rollout id (`<planId>.w<k>`), from the result
 * store's per-rollout counters (one read, whatever the wave's size). A pair that a later rollout took over
 * (`--replace`, another plan) counts there instead, so it leaves this wave's total.
 */
export async function readWaveCounts(
  deps: { results: ResultStore },
  plan: Pick<WavePlan, 'id' | 'single'>,
  wave: number,
): Promise<PairCounts> {
  return pairCountsOf(await deps.results.countsForRollout(rolloutIdOfWave(plan, wave)));
}

/** What one wave did, whatever came after it (readWaveRecord). */
export interface WaveRecord {
  /** The wave's pairs by state: those it still holds, plus those a later rollout took over, in the state they had. */
  counts: PairCounts;
  /** Pairs a later rollout took over while they were still pending here (counted in no state above). */
  takenOver: number;
}

/**
 * The lasting figures of one wave: the pairs still recorded under its rollout id (readWaveCounts) plus those a later
 * rollout (the same apps again, another plan, an install event) took over, by the state they had when it did
 * (`rolloutHandedOver`, kept by the result scripts). So a finished plan keeps its counts after later rollouts;
 * the controller's decisions still read the live counts (a pair taken over while pending leaves the wave).
 */
export async function readWaveRecord(
  deps: { results: ResultStore },
  plan: Pick<WavePlan, 'id' | 'single'>,
  wave: number,
): Promise<WaveRecord> {
  const id = rolloutIdOfWave(plan, wave);
  const [live, handed] = await Promise.all([
    deps.results.countsForRollout(id),
    deps.results.handedOverFromRollout(id),
  ]);
  const takenOver = handed.pending;
  const counts = pairCountsOf({
    pending: live.pending,
    registered: live.registered + handed.registered,
    failed: live.failed + handed.failed,
    needs_reauth: live.needs_reauth + handed.needs_reauth,
    unregistered: live.unregistered + handed.unregistered,
  });
  return { counts, takenOver };
}

/** The failed and re-auth pairs of one wave: the first FAILING_LIST_LIMIT with their last error, and the total. */
export async function readFailingPairs(
  deps: { results: ResultStore },
  plan: Pick<WavePlan, 'id' | 'single'>,
  wave: number,
): Promise<{ failing: FailingPair[]; total: number }> {
  const page = await deps.results.listAttention({
    rolloutId: rolloutIdOfWave(plan, wave),
    limit: FAILING_LIST_LIMIT,
  });
  const stored = await deps.results.getMany(page.pairs);
  const failing = stored.flatMap((result) =>
    result
      ? [
          {
            portal: result.portal,
            code: result.code,
            state: result.state,
            error: result.lastError
              ? `${result.lastError.code}: ${result.lastError.message}`.slice(0, 200)
              : '',
          },
        ]
      : [],
  );
  return { failing, total: page.total };
}
