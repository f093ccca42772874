import { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../errors/operator-error.js';
import { createRolloutWorker } from '../../pipeline/create-rollout-worker.js';
import { closeBullmq } from '../../redis/close-bullmq.js';
import { connectRedis } from '../../redis/connect-redis.js';
import { startTokenKeepAlive } from '../../runtime/start-token-keep-alive.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { startWaveController } from '../../waves/start-wave-controller.js';
import { waveDeps } from '../../waves/wave-deps.js';
import { cliContext } from '../cli-context.js';
import { describeJobFailure } from '../job-failure.js';
import { openRuntime } from '../open-runtime.js';
import { listenForStopSignals } from '../stop-signals.js';

const concurrencySchema = z.coerce.number().int().min(1).max(1000);

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'Process rollout jobs. Run as many as you like, on any hosts, against one Redis: the per-portal rate limit ' +
        "and token refreshes are shared. SIGTERM/SIGINT finish the jobs in flight and stop; a killed worker's jobs " +
        'are picked up by the others.',
    )
    .option(
      '--concurrency <n>',
      'jobs processed at once by this process (default: config worker.concurrency)',
    )
    .action(async (options: { concurrency?: string }) => {
      const { config, logger } = cliContext();
      // Listening from the first moment: a SIGTERM during start-up stops the worker right after it.
      const signals = listenForStopSignals(logger, 'worker');
      requireSecretKey(config, 'the worker');
      let concurrency = config.worker.concurrency;
      if (options.concurrency !== undefined) {
        const parsed = concurrencySchema.safeParse(options.concurrency);
        if (!parsed.success)
          throw new UsageError(
            `--concurrency must be a whole number from 1 to 1000, got "${options.concurrency}"`,
          );
        concurrency = parsed.data;
      }
      const runtime = await openRuntime(config, logger, { keyCheck: 'the worker' });
      const connection = connectRedis(config, logger, 'imbot-rollout-worker');
      const worker = createRolloutWorker(runtime, { connection, concurrency });
      // Never silent: a failed job is logged at error with its code. Failures outside processPair (a secret
      // that cannot be opened, a job stalled too often) are logged nowhere else (docs/security.md, "Secrets
      // at rest").
      worker.on('failed', (job, error) => {
        logger.error(
          { domain: job?.data.domain, code: job?.data.code, error: describeJobFailure(error) },
          'job failed',
        );
      });
      // Refreshes OAuth portals nobody called for tokens.keepAliveAfterDays (docs/tokens.md).
      const keepAlive = startTokenKeepAlive(runtime);
      // Advances the wave plans (`rollout --waves`): any worker does, so a restart loses nothing (docs/waves.md).
      const waves = startWaveController(waveDeps(runtime));
      logger.info({ concurrency, prefix: config.prefix }, 'worker started');
      process.stderr.write(
        `worker: started (concurrency ${concurrency}); Ctrl-C or SIGTERM stops it gracefully\n`,
      );
      await signals.received;
      await keepAlive
        .stop()
        .then(() => waves.stop())
        .then(() => closeBullmq(worker, connection))
        .then(() => runtime.close())
        .then(() => connection.quit())
        .catch((error: unknown) => logger.warn({ err: error }, 'worker stop was not clean'));
      signals.dispose();
      logger.info('worker stopped');
    });
}
