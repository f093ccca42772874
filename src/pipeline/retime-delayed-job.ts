import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/**
 * BullMQ's answers when a job is not delayed (bullmq's scripts.finishedErrors, codes JobNotInState and
 * JobNotExist of its promote/changeDelay scripts): it is waiting, active, or finished and removed (pair jobs
 * are removed on completion). Nothing to re-time then: it runs soon anyway, or its pair is done.
 */
const NOT_DELAYED = [
  /^Job .+ is not in the delayed state\. (promote|changeDelay)$/,
  /^Missing key for job .+\. (promote|changeDelay)$/,
];

/** True for the error BullMQ throws when promote/changeDelay finds the job not delayed (or gone). */
export function isJobNotDelayedError(error: unknown): boolean {
  return error instanceof Error && NOT_DELAYED.some((pattern) => pattern.test(error.message));
}

/**
 * Moves a delayed job to run at `at` (ms since the epoch): BullMQ `promote` when `at` is past, else
 * `changeDelay`. A job that is not delayed is left alone; any other failure (Redis unreachable, a script
 * error) is logged at warn with the job's id, never thrown: the job still runs at its old time.
 */
export async function retimeDelayedJob(job: Job, at: number, now: number, logger: Logger): Promise<void> {
  const delay = at - now;
  try {
    await (delay <= 0 ? job.promote() : job.changeDelay(delay));
  } catch (error) {
    if (isJobNotDelayedError(error)) return;
    logger.warn(
      { err: error, jobId: job.id, op: delay <= 0 ? 'promote' : 'changeDelay' },
      'could not re-time a delayed job: it runs at its old time',
    );
  }
}
