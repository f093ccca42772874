import { basename } from 'node:path';
import { Command } from 'commander';
import { EXIT_CODES, UsageError } from '../../errors/operator-error.js';
import { needingOperator } from '../../ops/pair-counts.js';
import { QUEUE_PAUSED_HINT } from '../../ops/queue-paused-hint.js';
import { summariseByCode } from '../../ops/summarise-by-code.js';
import { tokenOwnershipNotice } from '../../portals/token-ownership-notice.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { advanceWavePlan } from '../../waves/advance-wave-plan.js';
import { enqueuePlainRollout } from '../../waves/enqueue-plain-rollout.js';
import { parseWaveFlags, type WaveFlagOptions } from '../../waves/parse-wave-flags.js';
import { runWavePlanCommand, startWaveRollout } from '../../waves/run-wave-commands.js';
import { waveDeps } from '../../waves/wave-deps.js';
import { cliContext } from '../cli-context.js';
import { loadRolloutFiles } from '../load-rollout-files.js';
import { openRuntime } from '../open-runtime.js';
import { waitForRollout } from '../wait-for-rollout.js';
import { WAVE_HELP } from '../wave-help.js';
import {
  applyRolloutPlan,
  checkPlanFlags,
  PLAN_HELP,
  type PlanFlagOptions,
  planRollout,
} from './rollout-plan.js';

type RolloutOptions = WaveFlagOptions &
  PlanFlagOptions & {
    wait?: boolean;
    recreate?: boolean;
    replace?: boolean;
    replaceCredentials?: boolean;
  };

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
      '--recreate',
      'replace apps whose change imbot.app.update cannot apply (an icon change, a JS <-> IFRAME switch) by ' +
        'unregister + register; their APP_ID changes',
    )
    .option(
      '--replace',
      'apply these definitions even though another rollout is still applying other definitions of the same ' +
        'apps to the same portals (refused otherwise, naming that rollout)',
    )
    .option(
      '--wait',
      'wait until every pair is settled, with progress; exit 1 if any failed or needs re-authorisation. With ' +
        'waves: until the plan is done, halted or aborted, with per-wave progress',
    )
    .option(
      '--replace-credentials',
      "with --portals: write the file's OAuth tokens even where the stored pair is newer (issued later, e.g. by " +
        'an install event or a refresh); without it such portals keep their stored pair and are listed',
    )
    .option('--waves <list>', WAVE_HELP.waves)
    .option('--halt-failures <percent>', WAVE_HELP.haltFailures)
    .option('--halt-needs-reauth <percent>', WAVE_HELP.haltNeedsReauth)
    .option('--pause-between <duration>', WAVE_HELP.pauseBetween)
    .option('--resume <planId>', WAVE_HELP.resume)
    .option('--abort <planId>', WAVE_HELP.abort)
    .option('--skip-wave <planId>', WAVE_HELP.skipWave)
    .option('--promote <planId>', WAVE_HELP.promote)
    .option('--plan', PLAN_HELP.plan)
    .option('--json', PLAN_HELP.json)
    .option('--out <file>', PLAN_HELP.out)
    .option('--apply <plan>', PLAN_HELP.apply)
    .option('--max-age <duration>', PLAN_HELP.maxAge)
    .addHelpText('after', WAVE_HELP.after)
    .action(async (options: RolloutOptions) => {
      // Wave and plan flags are checked first: a wrong one is named before any file is read.
      checkPlanFlags(options);
      if (options.apply) {
        const { config, logger } = cliContext();
        await applyRolloutPlan({ ...options, apply: options.apply }, config, logger);
        return;
      }
      const waveFlags = parseWaveFlags(options);
      if (waveFlags.control) {
        const { config, logger } = cliContext();
        const runtime = await openRuntime(config, logger, { keyCheck: 'rollout' });
        try {
          await runWavePlanCommand(
            runtime,
            waveFlags.control.id,
            waveFlags.control.command,
            options.wait ?? false,
          );
        } finally {
          await runtime.close();
        }
        return;
      }
      if (!options.apps && !options.portals)
        throw new UsageError('give --apps and/or --portals (see rollout --help)');
      if (options.replaceCredentials && waveFlags.waves)
        throw new UsageError(
          '--replace-credentials is not taken with --waves: import the portals first (rollout --portals F ' +
            '--replace-credentials), then start the waves',
        );
      if (options.replaceCredentials && !options.portals)
        throw new UsageError(
          '--replace-credentials needs --portals: it says which credentials an import writes',
        );
      const { config, logger } = cliContext();
      // Validate both files whole before anything is written: a bad entry leaves no partial state.
      const { apps, portals } = await loadRolloutFiles(
        { apps: options.apps, portals: options.portals },
        config,
      );
      if (options.plan) {
        await planRollout(
          {
            apps,
            appsFile: options.apps,
            portals,
            portalsFile: options.portals,
            recreate: options.recreate ?? false,
            replace: options.replace ?? false,
            waves: waveFlags.waves,
            json: options.json ?? false,
            out: options.out,
          },
          config,
          logger,
        );
        return;
      }
      requireSecretKey(config, 'rollout');
      // The key check runs before anything is stored: credentials are never sealed with a key the workers lack.
      const runtime = await openRuntime(config, logger, { keyCheck: 'rollout' });
      try {
        if (waveFlags.waves && apps && portals) {
          await startWaveRollout(runtime, {
            apps,
            portals,
            waves: waveFlags.waves,
            recreate: options.recreate ?? false,
            replace: options.replace ?? false,
            source: basename(options.apps ?? 'apps'),
            wait: options.wait ?? false,
          });
          return;
        }
        const started = Date.now();
        // Recorded as a one-wave plan under its rollout id (docs/waves.md, "Plain rollouts").
        const deps = waveDeps(runtime);
        const summary = await enqueuePlainRollout(
          {
            apps,
            portals,
            recreate: options.recreate ?? false,
            replace: options.replace ?? false,
            replaceCredentials: options.replaceCredentials ?? false,
            ...(options.apps ? { source: basename(options.apps) } : {}),
          },
          deps,
        );
        const { counts } = summary;
        // From now on imbot-rollout refreshes the tokens it wrote (single-use): said once they are stored.
        const notice =
          portals && summary.imported
            ? tokenOwnershipNotice(portals, summary.imported.credentialsReplaced)
            : undefined;
        if (notice !== undefined) process.stderr.write(`rollout: ${notice}\n`);
        process.stdout.write(
          `rollout ${summary.rolloutId}: ${summary.pairs.length} pairs: ${counts.queued} queued, ${counts.already_pending} already pending, ` +
            `${counts.unchanged} already registered, ${counts.parked} parked (portal needs re-authorisation)` +
            `${summary.recreating > 0 ? `, ${summary.recreating} to be replaced (--recreate: new APP_ID)` : ''} ` +
            `in ${Date.now() - started} ms\n`,
        );
        if (summary.imported && summary.imported.reactivated.length > 0) {
          process.stdout.write(
            `rollout: new credentials for ${summary.imported.reactivated.length} portal(s) that needed them\n`,
          );
        }
        const kept = summary.imported?.credentialsKept ?? [];
        if (kept.length > 0) {
          // docs/reliability.md, "A re-import racing a refresh"
          process.stderr.write(
            `rollout: kept the stored credentials of ${kept.length} portal(s) a worker refreshed during the import ` +
              `(the file's tokens are older; the other fields were imported): ${kept.slice(0, 10).join(', ')}` +
              `${kept.length > 10 ? ', ...' : ''}. If the file holds a new authorisation for them, run the import again\n`,
          );
        }
        const keptNewer = summary.imported?.credentialsKeptNewer ?? [];
        if (keptNewer.length > 0) {
          // docs/operations.md, "Re-imports never go back in time"
          process.stderr.write(
            `rollout: kept the stored OAuth tokens of ${keptNewer.length} portal(s) whose stored pair is newer than ` +
              `the file's (refresh tokens are single-use; the other fields were imported): ${firstFew(keptNewer)}. ` +
              "To write the file's tokens anyway, run again with --replace-credentials\n",
          );
        }
        const restored = summary.imported?.restored ?? [];
        if (restored.length > 0) {
          process.stdout.write(
            `rollout: ${restored.length} removed portal(s) imported again and active: ${firstFew(restored)}\n`,
          );
        }
        if (summary.skippedRemoved.length > 0) {
          process.stdout.write(
            `rollout: skipped ${summary.skippedRemoved.length} removed portal(s): ${firstFew(summary.skippedRemoved)} ` +
              '(import them again with --portals to call them)\n',
          );
        }
        if (!options.wait) {
          if (await runtime.queue.isPaused()) process.stdout.write(`rollout: ${QUEUE_PAUSED_HINT}\n`);
          return;
        }
        const final = await waitForRollout(runtime.results, summary.pairs, {
          stream: process.stderr,
          isPaused: () => runtime.queue.isPaused(),
          rolloutId: summary.rolloutId,
          unchanged: summary.counts.unchanged,
        });
        process.stdout.write(
          `rollout ${summary.rolloutId} settled, by app:\n${(await summariseByCode(runtime.results, summary.pairs)).join('\n')}\n`,
        );
        // Settled: end its plan now (done, its definitions stable) rather than at a worker's next tick.
        if (summary.plan) await advanceWavePlan(deps, summary.plan.id);
        if (needingOperator(final) > 0) {
          process.exitCode = EXIT_CODES.failed;
          process.stdout.write(
            `rollout: ${final.failed} failed, ${final.needs_reauth} need re-authorisation: see \`imbot-rollout status\`\n`,
          );
        }
      } finally {
        await runtime.close();
      }
    });
}

/** The first ten domains, then "...". */
function firstFew(domains: readonly string[]): string {
  return `${domains.slice(0, 10).join(', ')}${domains.length > 10 ? ', ...' : ''}`;
}
