import { basename } from 'node:path';
import { Command } from 'commander';
import { loadAppsFile } from '../../apps/load-apps-file.js';
import { EXIT_CODES, UsageError } from '../../errors/operator-error.js';
import { QUEUE_PAUSED_HINT } from '../../ops/queue-paused-hint.js';
import { summariseByCode } from '../../ops/summarise-by-code.js';
import { enqueueRollout } from '../../pipeline/enqueue-rollout.js';
import { loadPortalsFile } from '../../portals/load-portals-file.js';
import { checkStoredKeyIds } from '../../secrets/check-stored-key-ids.js';
import { requireSecretKey } from '../../secrets/require-secret-key.js';
import { parseWaveFlags, WAVE_HELP, type WaveFlagOptions } from '../../waves/parse-wave-flags.js';
import { runWavePlanCommand, startWaveRollout } from '../../waves/run-wave-commands.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';
import { waitForRollout } from '../wait-for-rollout.js';
import {
  applyRolloutPlan,
  checkPlanFlags,
  PLAN_HELP,
  type PlanFlagOptions,
  planRollout,
} from './rollout-plan.js';

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
    .option('--waves <list>', WAVE_HELP.waves)
    .option('--halt-failures <percent>', WAVE_HELP.haltFailures)
    .option('--halt-needs-reauth <percent>', WAVE_HELP.haltNeedsReauth)
    .option('--pause-between <duration>', WAVE_HELP.pauseBetween)
    .option('--resume <planId>', WAVE_HELP.resume)
    .option('--abort <planId>', WAVE_HELP.abort)
    .option('--skip-wave <planId>', WAVE_HELP.skipWave)
    .option('--plan', PLAN_HELP.plan)
    .option('--json', PLAN_HELP.json)
    .option('--out <file>', PLAN_HELP.out)
    .option('--apply <plan>', PLAN_HELP.apply)
    .option('--max-age <duration>', PLAN_HELP.maxAge)
    .addHelpText('after', WAVE_HELP.after)
    .action(
      async (
        options: WaveFlagOptions &
          PlanFlagOptions & { wait?: boolean; recreate?: boolean; replace?: boolean },
      ) => {
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
              allowHosts: config.allowHosts,
              maxFileBytes: config.input.maxFileBytes,
            })
          : undefined;
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
        const runtime = await openRuntime(config, logger);
        try {
          // Before anything is stored: changed credentials must not be sealed with a key the workers lack.
          await checkStoredKeyIds({
            redis: runtime.redis,
            keys: runtime.keys,
            secrets: config.secrets,
            what: 'rollout',
          });
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
          const summary = await enqueueRollout(
            {
              apps,
              portals,
              recreate: options.recreate ?? false,
              replace: options.replace ?? false,
              ...(options.apps ? { source: basename(options.apps) } : {}),
            },
            runtime,
          );
          const { counts } = summary;
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
          if (final.failed > 0 || final.needsReauth > 0) {
            process.exitCode = EXIT_CODES.failed;
            process.stdout.write(
              `rollout: ${final.failed} failed, ${final.needsReauth} need re-authorisation: see \`imbot-rollout status\`\n`,
            );
          }
        } finally {
          await runtime.close();
        }
      },
    );
}
