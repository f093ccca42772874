import type { Queue } from 'bullmq';
import { type PairCounts, pairCountsOf } from '../ops/pair-counts.js';
import { QUEUE_PAUSED_HINT } from '../ops/queue-paused-hint.js';
import type { PairJob } from '../pipeline/pair-job.js';
import type { ResultStore } from '../store/result-store.js';

/** BullMQ job states counted for the progress view and /metrics. */
export const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'paused',
  'completed',
  'failed',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface Progress {
  /** Every pair the result store knows, by durable result state (`results.countsByState()`), and their total. */
  counts: PairCounts;
  /** Pairs no longer pending: registered, failed, parked (needs_reauth) or unregistered. */
  settled: number;
  /** Jobs by BullMQ state. Completed and failed jobs are removed at once, so those two stay near 0. */
  queue: Record<QueueState, number>;
  /** The queue is paused (BullMQ `Queue.pause()`): workers take no new job, so nothing pending moves. */
  queuePaused: boolean;
  /** Only while paused: how to resume. */
  queuePausedHint?: string;
  /** ISO time of the reading. */
  at: string;
}

/** Reads the rollout progress: three Redis round trips, sent at once, whatever the number of pairs. */
export async function readProgress(
  deps: { results: ResultStore; queue: Queue<PairJob> },
  now: () => number,
): Promise<Progress> {
  const [states, jobs, queuePaused] = await Promise.all([
    deps.results.countsByState(),
    deps.queue.getJobCounts(...QUEUE_STATES),
    deps.queue.isPaused(),
  ]);
  const queue = {} as Record<QueueState, number>;
  for (const state of QUEUE_STATES) queue[state] = jobs[state] ?? 0;
  const counts = pairCountsOf(states);
  return {
    counts,
    settled: counts.total - counts.pending,
    queue,
    queuePaused,
    ...(queuePaused ? { queuePausedHint: QUEUE_PAUSED_HINT } : {}),
    at: new Date(now()).toISOString(),
  };
}
