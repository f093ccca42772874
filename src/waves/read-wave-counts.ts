import { type ProgressCounts, rolloutProgressCounts } from '../ops/progress-counts.js';
import type { ResultStore } from '../store/result-store.js';
import { FAILING_LIST_LIMIT, type FailingPair, type WavePlan, waveRolloutId } from './wave-plan.js';
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
  plan: Pick<WavePlan, 'id'>,
  wave: number,
): Promise<ProgressCounts> {
  return await rolloutProgressCounts(deps.results, waveRolloutId(plan.id, wave));
}

/** The failed and re-auth pairs of one wave: the first FAILING_LIST_LIMIT with their last error, and the total. */
export async function readFailingPairs(
  deps: { results: ResultStore },
  plan: Pick<WavePlan, 'id'>,
  wave: number,
): Promise<{ failing: FailingPair[]; total: number }> {
  const page = await deps.results.listAttention({
    rolloutId: waveRolloutId(plan.id, wave),
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
