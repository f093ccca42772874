import { Command } from 'commander';
import { exportChunks } from '../../ops/export-chunks.js';
import { QUEUE_PAUSED_HINT } from '../../ops/queue-paused-hint.js';
import { sanitiseText } from '../../ops/sanitise-text.js';
import { statusSummaryText } from '../../ops/status-summary-text.js';
import { statusTableChunks } from '../../ops/status-table-chunks.js';
import { writeChunks } from '../../ops/write-chunks.js';
import { formatAppVersions } from '../../waves/format-app-versions.js';
import { formatWavePlans } from '../../waves/format-wave-plan.js';
import { readAppVersions } from '../../waves/read-app-versions.js';
import { readWavePlanViews } from '../../waves/wave-plan-view.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';
import { credentialStatusLine, printCredentialStatus } from '../print-credential-status.js';

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Sum up the results: pairs by state, the pairs that need attention, credential health and wave plans; ' +
        '--pairs (or --portal) shows every portal x app pair (state, APP_ID, attempts, last error).',
    )
    .option('--pairs', 'the table of every pair instead of the summary (the default view before)')
    .option('--json', 'print a JSON array: [{portal, code, state, appId, attempts, lastError, updatedAt}]')
    .option('--portal <domain>', 'only this portal')
    .option(
      '--credentials',
      "each OAuth portal's credential health instead: last refresh, due for keep-alive, needs re-auth (docs/tokens.md)",
    )
    .action(async (options: { json?: boolean; portal?: string; credentials?: boolean; pairs?: boolean }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        if (options.credentials) {
          await printCredentialStatus(runtime, config, { json: options.json === true, now: Date.now() });
          return;
        }
        const scope = options.portal ? { portal: options.portal.toLowerCase() } : {};
        const paused = await runtime.queue.isPaused();
        if (options.json) {
          // On stderr, so the JSON on stdout stays the public contract.
          if (paused) process.stderr.write(`status: ${QUEUE_PAUSED_HINT}\n`);
          // Streamed a chunk of pairs at a time (bounded memory), the same bytes as the whole array at once.
          await writeChunks(exportChunks(runtime.results, 'json', scope), { stream: process.stdout });
          return;
        }
        const counts = await runtime.results.countsByState();
        // OAuth credential health in one line (docs/tokens.md); `status --credentials` lists each portal.
        const credentials = await credentialStatusLine(runtime, config, Date.now());
        const credentialLine = credentials ? `${credentials}\n` : '';
        // Wave plans (`rollout --waves`): each with its current wave, per-wave counts and halt reason.
        const plansText = formatWavePlans(await readWavePlanViews(runtime));
        // Each CODE's stable definition (what new installs get) against its plans in flight (docs/waves.md).
        const appsText = formatAppVersions(await readAppVersions(runtime), config.events.appsFile);
        if (options.pairs || options.portal) {
          // The table streams a chunk of pairs at a time (statusTableChunks), then the totals follow.
          await writeChunks(statusTableChunks(runtime.results, scope), { stream: process.stdout });
        } else {
          // The summary: the pairs needing attention (one page of an index), then the totals.
          process.stdout.write(await statusSummaryText(runtime.results));
        }
        process.stdout.write(
          `\n\n${Object.entries(counts)
            .map(([state, n]) => sanitiseText(`${state} ${n}`))
            .join(
              ' | ',
            )}\n${credentialLine}${plansText}${appsText}${paused ? `\nstatus: ${QUEUE_PAUSED_HINT}\n` : ''}`,
        );
      } finally {
        await runtime.close();
      }
    });
}
