import { Command } from 'commander';
import { formatTable } from '../../ops/format-table.js';
import { toStatusRow } from '../../ops/status-row.js';
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
        const pairs = await runtime.results.listPairs(
          options.portal ? { portal: options.portal.toLowerCase() } : {},
        );
        const rows = [];
        for (let i = 0; i < pairs.length; i += 2_000) {
          for (const result of await runtime.results.getMany(pairs.slice(i, i + 2_000))) {
            if (result) rows.push(toStatusRow(result));
          }
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const counts = await runtime.results.countsByState();
        process.stdout.write(
          `${formatTable(
            ['PORTAL', 'CODE', 'STATE', 'APP_ID', 'ATTEMPTS', 'AMBIGUOUS', 'LAST ERROR'],
            rows.map((r) => [
              r.portal,
              r.code,
              r.state,
              r.appId === null ? '-' : String(r.appId),
              String(r.attempts),
              r.ambiguousAttempts > 0 ? `${r.ambiguousAttempts} (may hold a duplicate)` : '0',
              r.lastError ? `${r.lastError.code}: ${r.lastError.message}`.slice(0, 80) : '-',
            ]),
          )}\n\n${Object.entries(counts)
            .map(([state, n]) => `${state} ${n}`)
            .join(' | ')}\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
