import type { Config } from '../config/config-schema.js';
import { formatTable } from '../ops/format-table.js';
import {
  type CredentialRow,
  formatCredentialSummary,
  readCredentialPage,
  readCredentialSummary,
} from '../ops/read-credential-health.js';
import { arrangementOf, formatTokenArrangement } from '../ops/read-token-arrangement.js';
import { sanitiseJson, sanitiseText } from '../ops/sanitise-text.js';
import type { Runtime } from '../runtime/create-runtime.js';

const PAGE = 1_000;

const HEADERS = ['portal', 'last refresh', 'age (d)', 'credentials', 'lapses at'] as const;

function cells(row: CredentialRow): string[] {
  const health =
    row.state === 'active'
      ? row.due
        ? 'due for keep-alive'
        : 'ok'
      : row.state === 'needs_reauth'
        ? 'needs re-auth'
        : row.state;
  const reason = row.reason ? `: ${row.reason.length > 80 ? `${row.reason.slice(0, 77)}…` : row.reason}` : '';
  return [
    row.domain,
    row.lastRefreshAt,
    String(row.ageDays),
    `${health}${reason}`,
    row.lapsesAt.slice(0, 10),
  ];
}

/**
 * What `status` prints under the pair counts: the token arrangement (owned, handout, borrowed, the source's
 * health) when any portal is stored or a source or the handout is configured, then the OAuth credential summary
 * when an OAuth portal is stored; empty when there is nothing to say.
 */
export async function credentialStatusLine(
  runtime: Pick<Runtime, 'redis' | 'keys'>,
  config: Config,
  now: number,
): Promise<string> {
  const summary = await readCredentialSummary(runtime.redis, runtime.keys, {
    keepAliveAfterDays: config.tokens.keepAliveAfterDays,
    now,
    arrangement: arrangementOf(config),
  });
  const { arrangement } = summary;
  const lines: string[] = [];
  if (arrangement.owned + arrangement.borrowed > 0 || arrangement.handout || arrangement.source.configured) {
    lines.push(sanitiseText(formatTokenArrangement(arrangement)));
  }
  if (summary.oauthPortals > 0) lines.push(sanitiseText(formatCredentialSummary(summary)));
  return lines.join('\n');
}

/**
 * `status --credentials`: every OAuth portal's credential health, oldest last refresh first (docs/tokens.md),
 * read page by page from the credential index; `--json` prints `{summary, portals}`.
 */
export async function printCredentialStatus(
  runtime: Pick<Runtime, 'redis' | 'keys'>,
  config: Config,
  options: { json: boolean; now: number },
): Promise<void> {
  const read = {
    keepAliveAfterDays: config.tokens.keepAliveAfterDays,
    now: options.now,
    arrangement: arrangementOf(config),
  };
  const rows: CredentialRow[] = [];
  let page = await readCredentialPage(runtime.redis, runtime.keys, { ...read, offset: 0, limit: PAGE });
  const { summary } = page;
  rows.push(...page.portals);
  while (page.portals.length === PAGE) {
    page = await readCredentialPage(runtime.redis, runtime.keys, {
      ...read,
      offset: rows.length,
      limit: PAGE,
    });
    rows.push(...page.portals);
  }
  if (options.json) {
    process.stdout.write(`${sanitiseJson(JSON.stringify({ summary, portals: rows }, null, 2))}\n`);
    return;
  }
  const table = rows.length === 0 ? 'no OAuth portal is stored' : formatTable(HEADERS, rows.map(cells));
  process.stdout.write(
    `${table}\n\n${sanitiseText(formatCredentialSummary(summary))}\n${sanitiseText(formatTokenArrangement(summary.arrangement))}\n`,
  );
}
