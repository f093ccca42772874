import type { ResultStore } from '../store/result-store.js';
import { findPairChunks } from './find-pairs.js';
import { formatCsvRow } from './format-csv-row.js';
import { sanitiseJson } from './sanitise-text.js';
import { type StatusRow, toStatusRow } from './status-row.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The CSV header: the `status --json` fields, with lastError split in two (`hash`: the IFRAME HASH). */
export const CSV_COLUMNS = [
  'portal',
  'code',
  'state',
  'appId',
  'attempts',
  'lastErrorCode',
  'lastErrorMessage',
  'updatedAt',
  'hash',
] as const;

function csvCells(row: StatusRow): (string | number | null)[] {
  return [
    row.portal,
    row.code,
    row.state,
    row.appId,
    row.attempts,
    row.lastError?.code ?? null,
    row.lastError?.message ?? null,
    row.updatedAt,
    row.hash,
  ];
}

/**
 * One row of `JSON.stringify(rows, null, 2)` (indented one level), terminal-safe like `status --json`
 * (sanitiseJson), so the export equals `status --json`.
 */
function jsonElement(row: StatusRow): string {
  return sanitiseJson(JSON.stringify(row, null, 2).replaceAll('\n', '\n  '));
}

/**
 * The results of every pair (index order; `portal`: of one portal) as text chunks of `chunkSize` pairs: CSV
 * (RFC 4180, header first) or a JSON array of `status --json` rows, byte for byte what `status --json` prints.
 * The pair index is read on chunk by chunk too (results.pairChunks), so only one chunk of names and results is
 * held at a time: 100k pairs stream in bounded memory.
 */
export async function* exportChunks(
  results: ResultStore,
  format: ExportFormat,
  options: { chunkSize?: number; portal?: string } = {},
): AsyncGenerator<string> {
  const chunkSize = options.chunkSize ?? 2_000;
  if (format === 'csv') yield formatCsvRow(CSV_COLUMNS);
  let first = true;
  const filter = options.portal === undefined ? {} : { portal: options.portal };
  for await (const found of findPairChunks(results, filter, chunkSize)) {
    let text = '';
    for (const result of found) {
      const row = toStatusRow(result);
      if (format === 'csv') text += formatCsvRow(csvCells(row));
      else {
        text += `${first ? '[\n  ' : ',\n  '}${jsonElement(row)}`;
        first = false;
      }
    }
    if (text) yield text;
  }
  if (format === 'json') yield first ? '[]\n' : '\n]\n';
}
