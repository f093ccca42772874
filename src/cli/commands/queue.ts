import { Command } from 'commander';
import { UsageError } from '../../errors/operator-error.js';
import { QUEUE_PAUSED_HINT } from '../../ops/queue-paused-hint.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

/** `imbot-rollout queue [--pause | --resume]`: the state of the rollout queue, and pausing or resuming it. */
export function queueCommand(): Command {
  return new Command('queue')
    .description(
      'Show whether the rollout queue is running or paused, with its jobs by state. --pause stops every worker ' +
        'from taking new jobs (jobs already running finish); --resume lets them run again. The queue board at ' +
        '/queues is read-only unless `serve` runs with ROLLOUT_QUEUE_BOARD_WRITE=1, so this is the way to resume ' +
        'a queue paused by anyone. Exits 0.',
    )
    .option('--pause', 'pause the queue: workers take no new job until it is resumed')
    .option('--resume', 'resume a paused queue')
    .action(async (options: { pause?: boolean; resume?: boolean }) => {
      if (options.pause && options.resume) throw new UsageError('give either --pause or --resume, not both');
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const { queue } = runtime;
        if (options.pause) await queue.pause();
        if (options.resume) await queue.resume();
        const [paused, jobs] = await Promise.all([
          queue.isPaused(),
          queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'paused'),
        ]);
        const waiting = (jobs['waiting'] ?? 0) + (jobs['prioritized'] ?? 0) + (jobs['paused'] ?? 0);
        process.stdout.write(
          `queue ${queue.name}: ${paused ? 'PAUSED' : 'running'}; jobs: ${waiting} waiting, ` +
            `${jobs['active'] ?? 0} active, ${jobs['delayed'] ?? 0} delayed\n` +
            (paused ? `queue: ${QUEUE_PAUSED_HINT}\n` : ''),
        );
        if (options.pause || options.resume)
          logger.info({ paused }, options.pause ? 'queue paused' : 'queue resumed');
      } finally {
        await runtime.close();
      }
    });
}
