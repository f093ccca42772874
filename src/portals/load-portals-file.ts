import { basename } from 'node:path';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { InputError } from '../input/input-error.js';
import { orderProblemsByEntry } from '../input/order-problems-by-entry.js';
import { readJsonFile } from '../input/read-json-file.js';
import { unwrapInputFile } from '../input/unwrap-input-file.js';
import { type PortalEntry, portalsFileSchema } from './portal-entry-schema.js';

/**
 * Reads and validates the portal list (see portal-entry-schema.ts). Every problem is reported together in one
 * InputError and a file with any problem is refused whole; no message contains a token or a webhook code.
 */
export async function loadPortalsFile(
  path: string,
  opts: { allowHttp: boolean; allowHosts?: readonly string[]; tokenSource?: boolean; maxFileBytes: number },
): Promise<PortalEntry[]> {
  const label = basename(path);
  const raw = unwrapInputFile(await readJsonFile(path, { maxBytes: opts.maxFileBytes, label }), 'portals');
  const parsed = portalsFileSchema({
    allowHttp: opts.allowHttp,
    allowHosts: opts.allowHosts ?? [],
    tokenSource: opts.tokenSource ?? false,
  }).safeParse(raw);
  if (!parsed.success)
    throw new InputError(label, orderProblemsByEntry(label, formatZodIssues(parsed.error, label)));
  return parsed.data;
}
