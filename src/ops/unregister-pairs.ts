import type { Queue } from 'bullmq';
import { NothingMatchedError } from '../errors/operator-error.js';
import { addPairJobs } from '../pipeline/add-pair-jobs.js';
import type { PairJob } from '../pipeline/pair-job.js';
import type { ResultStore } from '../store/result-store.js';
import { matchingPairNames } from './find-pairs.js';

/**
 * Asks for the app `code` to be unregistered (on one portal or on all): pairs holding an APP_ID get a job that
 * calls imbot.app.unregister through the same queue, rate limit and retry rules; pairs without one are
 * marked unregistered at once.
 */
export async function unregisterPairs(
  deps: { results: ResultStore; queue: Queue<PairJob> },
  filter: { code: string; portal?: string },
): Promise<{ queued: number; nothingToCall: number }> {
  const pairs = [];
  for await (const pair of matchingPairNames(deps.results, filter)) pairs.push(pair);
  if (pairs.length === 0) {
    throw new NothingMatchedError(
      `no pair with code ${filter.code}${filter.portal ? ` on portal ${filter.portal}` : ''} is known`,
    );
  }
  const outcomes = await deps.results.requestAbsent(pairs);
  const toQueue = pairs.filter((_, i) => outcomes[i] === 'queued');
  await addPairJobs(deps.queue, toQueue);
  return { queued: toQueue.length, nothingToCall: outcomes.filter((o) => o === 'nothing_to_call').length };
}
