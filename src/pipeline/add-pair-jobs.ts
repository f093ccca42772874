import type { Queue } from 'bullmq';
import { type PairJob, pairJobId } from './pair-job.js';

/** Options of every rollout job: the retry policy is ours (decide.ts), so BullMQ runs each job once. */
export const PAIR_JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;

/** Adds one job per pair with its deterministic id: a pair that already has a live job gets no second one. */
export async function addPairJobs(
  queue: Queue<PairJob>,
  pairs: readonly { domain: string; code: string }[],
): Promise<number> {
  if (pairs.length === 0) return 0;
  await queue.addBulk(
    pairs.map((p) => ({
      name: 'pair',
      data: { domain: p.domain, code: p.code },
      opts: { ...PAIR_JOB_OPTIONS, jobId: pairJobId(p.domain, p.code) },
    })),
  );
  return pairs.length;
}
