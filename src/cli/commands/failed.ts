import { Command } from 'commander';
import {
  ATTENTION_REASONS,
  attentionCountsText,
  attentionHints,
  countAttentionRows,
} from '../../ops/attention-row.js';
import { formatTable } from '../../ops/format-table.js';
import { readAllAttention } from '../../ops/read-attention.js';
import { sanitiseJson } from '../../ops/sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells } from '../../ops/status-row.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

export function failedCommand(): Command {
  return new Command('failed')
    .description(
      'List the pairs that need an operator: failed, or parked until the portal is re-authorised (needs_reauth), ' +
        'with what to do next. Exits 0.',
    )
    .option(
      '--json',
      `print a JSON array: the status --json fields plus reasons [${ATTENTION_REASONS.join('|')}] and the ` +
        'attempt history (newest first)',
    )
    .option('--portal <domain>', 'only this portal')
    .option('--code <code>', 'only this app CODE')
    .action(async (options: { json?: boolean; portal?: string; code?: string }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const rows = await readAllAttention(
          runtime.results,
          {
            ...(options.portal ? { portal: options.portal.toLowerCase() } : {}),
            ...(options.code ? { code: options.code } : {}),
          },
          { history: options.json === true },
        );
        if (options.json) {
          process.stdout.write(`${sanitiseJson(JSON.stringify(rows, null, 2))}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('nothing needs attention\n');
          return;
        }
        const counts = countAttentionRows(rows);
        const table = formatTable(
          [...STATUS_TABLE_HEADERS, 'WHEN'],
          rows.map((r) => [...statusTableCells(r), r.updatedAt ?? '-']),
        );
        const next = attentionHints(counts).map((line) => `${line}\n`);
        process.stdout.write(
          `${table}\n\n${rows.length} pair(s) need attention: ${attentionCountsText(counts)}\n${next.join('')}`,
        );
      } finally {
        await runtime.close();
      }
    });
}
