import type { Queue } from 'bullmq';
import { NothingMatchedError } from '../errors/operator-error.js';
import { addPairJobs } from '../pipeline/add-pair-jobs.js';
import type { PairJob } from '../pipeline/pair-job.js';
import type { PortalStore } from '../store/portal-store.js';
import type { ResultStore } from '../store/result-store.js';
import { findPairs } from './find-pairs.js';

/**
 * Re-queues failed pairs matching portal/code (all failed pairs when neither is given): attempts start again.
 * Pairs of removed portals are skipped (docs/operations.md, "remove-portal: stop calling a portal").
 */
export async function retryFailedPairs(
  deps: { results: ResultStore; queue: Queue<PairJob>; portals?: Pick<PortalStore, 'domainsRemoved'> },
  filter: { portal?: string; code?: string },
): Promise<{ domain: string; code: string }[]> {
  const failed = await findPairs(deps.results, { ...filter, states: ['failed'] });
  const removed = deps.portals
    ? await deps.portals.domainsRemoved([...new Set(failed.map((r) => r.portal))])
    : new Set<string>();
  const pairs = failed.filter((r) => !removed.has(r.portal)).map((r) => ({ domain: r.portal, code: r.code }));
  const flipped = await deps.results.requestRetry(pairs);
  const retried = pairs.filter((_, i) => flipped[i]);
  if (retried.length === 0) {
    const scope = [filter.portal && `portal ${filter.portal}`, filter.code && `code ${filter.code}`].filter(
      Boolean,
    );
    // Parked pairs are not retried (a new token is what they wait for): say so, and what resumes them.
    const parked = await findPairs(deps.results, { ...filter, states: ['needs_reauth'] });
    const fix =
      parked.length === 0
        ? ''
        : `; ${parked.length} pair(s) wait for re-authorisation (needs_reauth), which retry does not re-queue: ` +
          're-authorise the application on the portal, then import its new credentials with ' +
          '`imbot-rollout rollout --portals FILE` (that resumes them)';
    throw new NothingMatchedError(
      `no failed pair${scope.length ? ` for ${scope.join(' and ')}` : ''} to retry` +
        (removed.size > 0
          ? ` (${removed.size} removed portal(s) skipped: import them again to call them)`
          : '') +
        fix,
    );
  }
  await addPairJobs(deps.queue, retried);
  return retried;
}
