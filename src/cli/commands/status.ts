import { Command } from 'commander';
import { findPairs } from '../../ops/find-pairs.js';
import { formatTable } from '../../ops/format-table.js';
import { STATUS_TABLE_HEADERS, statusTableCells, toStatusRow } from '../../ops/status-row.js';
import { createRuntime } from '../../runtime/create-runtime.js';
import { cliContext } from '../cli-context.js';

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Show the result of every portal x app pair (state, APP_ID, attempts, ambiguous attempts, last error).',
    )
    .option(
      '--json',
      'print a JSON array: [{portal, code, state, appId, attempts, ambiguousAttempts, lastError, updatedAt}]',
    )
    .option('--portal <domain>', 'only this portal')
    .action(async (options: { json?: boolean; portal?: string }) => {
      const { config, logger } = cliContext();
      const runtime = createRuntime({ config, logger });
      try {
        const found = await findPairs(
          runtime.results,
          options.portal ? { portal: options.portal.toLowerCase() } : {},
        );
        const rows = found.map(toStatusRow);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const counts = await runtime.results.countsByState();
        process.stdout.write(
          `${formatTable(STATUS_TABLE_HEADERS, rows.map(statusTableCells))}\n\n${Object.entries(counts)
            .map(([state, n]) => `${state} ${n}`)
            .join(' | ')}\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
