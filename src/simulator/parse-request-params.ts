import { z } from 'zod';
import { parsePhpForm } from '../bitrix/parse-php-form.js';

const paramsSchema = z.record(z.string(), z.unknown());

export type ParsedParams = { ok: true; params: Record<string, unknown> } | { ok: false; description: string };

/**
 * The parameters of a request as Bitrix24 reads them (docs/bitrix24.md, "Who is calling"): the query string
 * (PHP-style keys) overlaid by the body, which is JSON (`application/json`) or form-encoded with PHP-style keys.
 * A body without a recognised content type is read as JSON when it starts with `{`, else as a form.
 */
export function parseRequestParams(
  contentType: string | undefined,
  body: string,
  query: string,
): ParsedParams {
  const fromQuery = query === '' ? {} : parsePhpForm(query);
  const trimmed = body.trim();
  if (trimmed === '') return { ok: true, params: fromQuery };
  const type = (contentType ?? '').toLowerCase();
  const asJson =
    type.includes('json') || (!type.includes('x-www-form-urlencoded') && trimmed.startsWith('{'));
  if (!asJson) return { ok: true, params: { ...fromQuery, ...parsePhpForm(trimmed) } };
  let decoded: unknown;
  try {
    decoded = JSON.parse(trimmed);
  } catch {
    return { ok: false, description: 'The request body is not valid JSON' };
  }
  const parsed = paramsSchema.safeParse(decoded);
  if (!parsed.success || Array.isArray(decoded)) {
    return { ok: false, description: 'The request body must be a JSON object' };
  }
  return { ok: true, params: { ...fromQuery, ...parsed.data } };
}
