import { Command } from 'commander';
import { UsageError } from '../../errors/operator-error.js';
import { retryFailedPairs } from '../../ops/retry-failed-pairs.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

export function retryCommand(): Command {
  return new Command('retry')
    .description(
      'Re-queue failed pairs: their attempts start again and a running worker picks them up. Fix the cause first ' +
        '(see `imbot-rollout failed`). Pairs parked for re-authorisation resume when new credentials are ' +
        'imported with `rollout --portals`, not here. Exit 1 when no failed pair matches.',
    )
    .option('--portal <domain>', 'only failed pairs of this portal')
    .option('--code <code>', 'only failed pairs of this app CODE')
    .option('--all', 'every failed pair (required when neither --portal nor --code is given)')
    .action(async (options: { portal?: string; code?: string; all?: boolean }) => {
      const filtered = Boolean(options.portal || options.code);
      if (!filtered && !options.all) {
        throw new UsageError(
          'say which failed pairs to retry: --portal D and/or --code C, or --all for every failed pair',
        );
      }
      if (filtered && options.all) throw new UsageError('give either --all or --portal/--code, not both');
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const retried = await retryFailedPairs(runtime, {
          ...(options.portal ? { portal: options.portal.toLowerCase() } : {}),
          ...(options.code ? { code: options.code } : {}),
        });
        process.stdout.write(
          `retry: ${retried.length} failed pair(s) re-queued; a running worker picks them up (\`imbot-rollout status\` shows progress)\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
