import { Command } from 'commander';
import { type AttentionRow, toAttentionRow } from '../../ops/attention-row.js';
import { findAttentionPairs } from '../../ops/find-attention-pairs.js';
import { formatTable } from '../../ops/format-table.js';
import { sanitiseJson } from '../../ops/sanitise-text.js';
import { STATUS_TABLE_HEADERS, statusTableCells } from '../../ops/status-row.js';
import { cliContext } from '../cli-context.js';
import { openRuntime } from '../open-runtime.js';

const HISTORY_READS_AT_ONCE = 200;

/** What the operator does next, one line per kind of problem present. */
function hints(rows: readonly AttentionRow[]): string[] {
  const has = (reason: AttentionRow['reasons'][number]) => rows.some((r) => r.reasons.includes(reason));
  const lines: string[] = [];
  if (has('failed'))
    lines.push(
      'failed: fix the cause in LAST ERROR, then `imbot-rollout retry --portal D --code C` (or `retry --all`)',
    );
  if (has('needs_reauth'))
    lines.push(
      'needs_reauth: re-authorise the app on the portal, then import the new credentials with `imbot-rollout rollout --portals FILE`',
    );
  return lines;
}

export function failedCommand(): Command {
  return new Command('failed')
    .description(
      'List the pairs that need an operator: failed, or parked until the portal is re-authorised (needs_reauth), ' +
        'with what to do next. Exits 0.',
    )
    .option(
      '--json',
      'print a JSON array: the status --json fields plus reasons [failed|needs_reauth] and the ' +
        'attempt history (newest first)',
    )
    .option('--portal <domain>', 'only this portal')
    .option('--code <code>', 'only this app CODE')
    .action(async (options: { json?: boolean; portal?: string; code?: string }) => {
      const { config, logger } = cliContext();
      const runtime = await openRuntime(config, logger);
      try {
        const found = await findAttentionPairs(runtime.results, {
          ...(options.portal ? { portal: options.portal.toLowerCase() } : {}),
          ...(options.code ? { code: options.code } : {}),
        });
        const rows: AttentionRow[] = [];
        for (let i = 0; i < found.length; i += HISTORY_READS_AT_ONCE) {
          const slice = found.slice(i, i + HISTORY_READS_AT_ONCE);
          const histories = options.json
            ? await Promise.all(slice.map((r) => runtime.results.history(r.portal, r.code)))
            : [];
          for (const [index, result] of slice.entries())
            rows.push(toAttentionRow(result, histories[index] ?? []));
        }
        if (options.json) {
          process.stdout.write(`${sanitiseJson(JSON.stringify(rows, null, 2))}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('nothing needs attention\n');
          return;
        }
        const count = (reason: AttentionRow['reasons'][number]) =>
          rows.filter((r) => r.reasons.includes(reason)).length;
        process.stdout.write(
          `${formatTable(
            [...STATUS_TABLE_HEADERS, 'WHEN'],
            rows.map((r) => [...statusTableCells(r), r.updatedAt ?? '-']),
          )}\n\n${rows.length} pair(s) need attention: ${count('failed')} failed, ${count('needs_reauth')} ` +
            `needs_reauth\n${hints(rows)
              .map((line) => `next: ${line}\n`)
              .join('')}`,
        );
      } finally {
        await runtime.close();
      }
    });
}
