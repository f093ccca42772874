import { Command } from 'commander';
import { loadAppsFile } from '../../apps/load-apps-file.js';
import { enqueueRollout } from '../../pipeline/enqueue-rollout.js';
import { loadPortalsFile } from '../../portals/load-portals-file.js';
import { createRuntime } from '../../runtime/create-runtime.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { cliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { waitForRollout } from '../wait-for-rollout.js';

export function rolloutCommand(): Command {
  return new Command('rollout')
    .description(
      'Validate the apps and portals files, store the portals and queue one job per portal x app. ' +
        'Idempotent: pairs registered with the same definition queue nothing; a changed definition is applied with ' +
        'imbot.app.update. Without --apps, re-queues the stored pending/parked pairs of the given portals ' +
        '(e.g. after importing new credentials).',
    )
    .option('--apps <file>', 'chat-app definitions (JSON array)')
    .option('--portals <file>', 'portal list (JSON array)')
    .option(
      '--wait',
      'wait until every pair is settled, with progress; exit 1 if any failed or needs re-authorisation',
    )
    .action(async (options: { apps?: string; portals?: string; wait?: boolean }) => {
      if (!options.apps && !options.portals)
        throw new CliError('give --apps and/or --portals (see rollout --help)');
      const { config, logger } = cliContext();
      // Validate both files whole before anything is written: a bad entry leaves no partial state.
      const apps = options.apps
        ? await loadAppsFile(options.apps, {
            maxFileBytes: config.input.maxFileBytes,
            maxIconBytes: config.input.maxIconBytes,
          })
        : undefined;
      const portals = options.portals
        ? await loadPortalsFile(options.portals, {
            allowHttp: config.allowHttp,
            maxFileBytes: config.input.maxFileBytes,
          })
        : undefined;
      requireSecretKey(config, 'rollout');
      const runtime = createRuntime({ config, logger });
      try {
        const started = Date.now();
        const summary = await enqueueRollout({ apps, portals }, runtime);
        const { counts } = summary;
        process.stdout.write(
          `rollout: ${summary.pairs.length} pairs: ${counts.queued} queued, ${counts.already_pending} already pending, ` +
            `${counts.unchanged} already registered, ${counts.parked} parked (portal needs re-authorisation) ` +
            `in ${Date.now() - started} ms\n`,
        );
        if (summary.imported && summary.imported.reactivated.length > 0) {
          process.stdout.write(
            `rollout: new credentials for ${summary.imported.reactivated.length} portal(s) that needed them\n`,
          );
        }
        if (!options.wait) return;
        const final = await waitForRollout(runtime.results, summary.pairs, { stream: process.stderr });
        if (final.failed > 0 || final.needsReauth > 0) {
          process.exitCode = 1;
          process.stdout.write(
            `rollout: ${final.failed} failed, ${final.needsReauth} need re-authorisation: see \`imbot-rollout status\`\n`,
          );
        }
      } finally {
        await runtime.close();
      }
    });
}
