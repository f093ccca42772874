import { DelayedError, Job, type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { RedisClient } from '../redis/redis-client.js';
import { createRedisKeys } from '../store/redis-keys.js';
import { addPairJobs } from './add-pair-jobs.js';
import { type PairJob, pairJobId, pairJobSchema, ROLLOUT_QUEUE } from './pair-job.js';
import type { PairOutcome } from './pair-outcome.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import { DUE_SLACK_MS, processPair } from './process-pair.js';
import { retimeDelayedJob } from './retime-delayed-job.js';

export interface RolloutWorkerOptions {
  /** A connection with `maxRetriesPerRequest: null` (BullMQ duplicates it for its blocking reads). */
  connection: RedisClient;
  concurrency: number;
  autorun?: boolean;
}

/**
 * The BullMQ side of a worker: runs `processPair` for each job and turns its outcome into queue moves.
 * "Wait" outcomes move the job to delayed (`moveToDelayed` + `DelayedError`: no attempt spent, no worker slot
 * held), failures are `UnrecoverableError`s (the retry policy is ours, in decide.ts: one retry layer only).
 */
export function createRolloutWorker(
  deps: PairProcessorDeps & { queue: Queue<PairJob> },
  options: RolloutWorkerOptions,
): Worker<PairJob, PairOutcome> {
  const { config, logger } = deps;
  const processorDeps: PairProcessorDeps = {
    ...deps,
    wakePairs: deps.wakePairs ?? ((domain, wake) => wakePairJobs(deps.queue, domain, wake, logger)),
  };
  const worker = new Worker<PairJob, PairOutcome>(
    ROLLOUT_QUEUE,
    async (job: Job<PairJob, PairOutcome>, token?: string) => {
      const data = pairJobSchema.parse(job.data);
      const outcome = await processPair(data, processorDeps);
      if (outcome.kind === 'delay') {
        await job.moveToDelayed(Math.max(outcome.until, Date.now()), token);
        // A pair another job's batch had taken along: the batch may have settled it (and tried to wake this job)
        // between processPair's read and the move just made, when the job was not delayed yet. Looking once more
        // after the move closes that gap: either this read sees the batch's write, or the batch's wake, which
        // follows its write, finds the job delayed. Without it the job waits out the whole claim.
        if (outcome.reason === 'not_due' && (await dueNow(deps, data)))
          await retimeDelayedJob(job, 0, Date.now(), logger);
        throw new DelayedError();
      }
      if (outcome.kind === 'failed')
        throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      return outcome;
    },
    {
      connection: options.connection,
      // The queue's prefix (keys.queuePrefix: the whole queue under one Redis Cluster hash tag).
      prefix: deps.queue.opts.prefix ?? createRedisKeys(config.prefix).queuePrefix,
      concurrency: options.concurrency,
      autorun: options.autorun ?? true,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: config.worker.maxStalledCount,
    },
  );
  // After a job left the queue, its pair must not stay `pending` without a job:
  // - a producer or `retry` re-queued the pair while this job was finishing (its add was ignored: same job id,
  //   still live): add the job again now that the old one is gone;
  // - the job failed outside processPair (stalled too often, an unexpected error): record the failure, so
  //   `status`/`failed` show it and `retry` can re-queue it.
  const afterJob = (job: Job<PairJob, PairOutcome> | undefined, error: Error | undefined) => {
    const parsed = pairJobSchema.safeParse(job?.data);
    if (!parsed.success) return;
    const { domain, code } = parsed.data;
    void (async () => {
      const [result] = await deps.results.statesOf([{ domain, code }]);
      if (result?.state !== 'pending') return;
      if (error === undefined || error instanceof UnrecoverableError) {
        await addPairJobs(deps.queue, [{ domain, code }]);
        return;
      }
      await deps.results.recordFailure(domain, code, {
        op: 'job',
        error: { code: 'JOB_FAILED', message: error.message },
        final: true,
      });
    })().catch((e: unknown) => logger.error({ err: e, domain, code }, 'could not settle a finished job'));
  };
  worker.on('completed', (job) => afterJob(job, undefined));
  worker.on('failed', (job, error) => afterJob(job, error));
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}

/** The pair is gone, settled or due now: its job has nothing to wait for. */
async function dueNow(deps: PairProcessorDeps, pair: PairJob): Promise<boolean> {
  const { result, dueAt } = await deps.results.getWithDue(pair.domain, pair.code);
  return result === undefined || dueAt === undefined || dueAt <= deps.now() + DUE_SLACK_MS;
}

/**
 * Moves the delayed jobs of these pairs to run at `at` (BullMQ `changeDelay`). A job that is not delayed (waiting,
 * active, gone) is left alone: it runs soon anyway, or its pair is done.
 */
async function wakePairJobs(
  queue: Queue<PairJob>,
  domain: string,
  wake: readonly { code: string; at: number }[],
  logger: Logger,
): Promise<void> {
  await Promise.all(
    wake.map(async ({ code, at }) => {
      // A handle without reading the job (its id is all BullMQ's promote/changeDelay scripts need): one round
      // trip per job.
      const job = new Job<PairJob>(queue, 'pair', { domain, code }, {}, pairJobId(domain, code));
      await retimeDelayedJob(job, at, Date.now(), logger);
    }),
  );
}
