import type { Queue } from 'bullmq';
import { isRunAgainError } from '../redis/define-script.js';
import { type PairJob, pairJobId } from './pair-job.js';

/** Options of every rollout job: the retry policy is ours (decide.ts), so BullMQ runs each job once. */
export const PAIR_JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;

/** BullMQ's largest priority number (the lowest priority). */
const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * Adds one job per pair with its deterministic id: a pair that already has a live job gets no second one.
 *
 * Fairness across portals: the first pair of each portal goes to the plain wait list (BullMQ serves it before
 * any prioritized job, FIFO); the n-th pair of a portal gets priority n - 1. A portal with thousands of pairs
 * thus takes turns with the portals queued after it instead of holding them behind its whole backlog (which
 * its rate limit would only move to the delayed set one job at a time: bench/fairness.ts). `positions` counts
 * the pairs already added per portal; pass the same map to the calls of one rollout.
 */
export async function addPairJobs(
  queue: Queue<PairJob>,
  pairs: readonly { domain: string; code: string }[],
  positions: Map<string, number> = new Map(),
): Promise<number> {
  if (pairs.length === 0) return 0;
  const jobs = pairs.map((p) => {
    const position = positions.get(p.domain) ?? 0;
    positions.set(p.domain, position + 1);
    const priority = Math.min(position, MAX_PRIORITY);
    return {
      name: 'pair',
      data: { domain: p.domain, code: p.code },
      opts: {
        ...PAIR_JOB_OPTIONS,
        jobId: pairJobId(p.domain, p.code),
        ...(priority > 0 ? { priority } : {}),
      },
    };
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.addBulk(jobs);
      return pairs.length;
    } catch (error) {
      // addBulk is a pipeline of BullMQ's scripts: on a Redis Cluster, a node that restarted since this connection
      // last ran them answers NOSCRIPT for those jobs, and a connection that closed after part of the pipeline was
      // answered has the rest aborted (src/redis/define-script.ts, execWithScripts). Adding again is safe: the job
      // ids are deterministic, a job added the first time is not added twice.
      if (attempt >= 3 || !isRunAgainError(error)) throw error;
    }
  }
}
