import { Command } from 'commander';
import { findPairs } from '../../ops/find-pairs.js';
import { formatTable } from '../../ops/format-table.js';
import { QUEUE_PAUSED_HINT } from '../../ops/queue-paused-hint.js';
import { sanitiseJson, sanitiseText } from '../../ops/sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells, toStatusRow } from '../../ops/status-row.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('Show the result of every portal x app pair (state, APP_ID, attempts, last error).')
    .option('--json', 'print a JSON array: [{portal, code, state, appId, attempts, lastError, updatedAt}]')
    .option('--portal <domain>', 'only this portal')
    .action(async (options: { json?: boolean; portal?: string }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const found = await findPairs(
          runtime.results,
          options.portal ? { portal: options.portal.toLowerCase() } : {},
        );
        const rows = found.map(toStatusRow);
        const paused = await runtime.queue.isPaused();
        if (options.json) {
          // On stderr, so the JSON on stdout stays the public contract.
          if (paused) process.stderr.write(`status: ${QUEUE_PAUSED_HINT}\n`);
          process.stdout.write(`${sanitiseJson(JSON.stringify(rows, null, 2))}\n`);
          return;
        }
        const counts = await runtime.results.countsByState();
        process.stdout.write(
          `${formatTable(STATUS_TABLE_HEADERS, rows.map(statusTableCells))}\n\n${Object.entries(counts)
            .map(([state, n]) => sanitiseText(`${state} ${n}`))
            .join(' | ')}\n${paused ? `\nstatus: ${QUEUE_PAUSED_HINT}\n` : ''}`,
        );
      } finally {
        await runtime.close();
      }
    });
}
