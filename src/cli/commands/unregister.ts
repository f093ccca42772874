import { Command } from 'commander';
import { EXIT_CODES } from '../../errors/operator-error.js';
import { needingOperator } from '../../ops/pair-counts.js';
import { unregisterPairs } from '../../ops/unregister-pairs.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';
import { waitForRollout } from '../wait-for-rollout.js';

export function unregisterCommand(): Command {
  return new Command('unregister')
    .description(
      'Remove the chat app CODE from one portal or from every portal: each pair holding an APP_ID gets a job that ' +
        'calls imbot.app.unregister with it (same queue, rate limit and retry rules as a rollout; a worker must be ' +
        'running); pairs holding none are marked unregistered at once. Exit 1 when no pair has this CODE.',
    )
    .requiredOption('--code <code>', 'the app CODE to unregister')
    .option('--portal <domain>', 'only on this portal (default: every portal)')
    .option(
      '--wait',
      'wait until every pair is settled, with progress; exit 1 if any failed or needs re-authorisation',
    )
    .action(async (options: { code: string; portal?: string; wait?: boolean }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      const portal = options.portal?.toLowerCase();
      const filter = { code: options.code, ...(portal ? { portal } : {}) };
      try {
        const { queued, nothingToCall } = await unregisterPairs(runtime, filter);
        process.stdout.write(
          `unregister: ${queued} pair(s) queued for imbot.app.unregister, ${nothingToCall} holding no APP_ID ` +
            'marked unregistered\n',
        );
        if (!options.wait) return;
        const pairs = (await runtime.results.listPairs(portal ? { portal } : {})).filter(
          (p) => p.code === options.code,
        );
        const final = await waitForRollout(runtime.results, pairs, {
          stream: process.stderr,
          isPaused: () => runtime.queue.isPaused(),
        });
        if (needingOperator(final) > 0) {
          process.exitCode = EXIT_CODES.failed;
          process.stdout.write(
            `unregister: ${final.failed} failed, ${final.needs_reauth} need re-authorisation: see \`imbot-rollout failed\`\n`,
          );
        }
      } finally {
        await runtime.close();
      }
    });
}
