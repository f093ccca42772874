import { encodePhpQuery } from '../bitrix/encode-php-query.js';
import type { AppEventDelivery } from './simulator-types.js';

/**
 * POSTs one application event to `url` as Bitrix24 does: an `application/x-www-form-urlencoded` body with
 * PHP-style keys (`auth[domain]=...`, PHP's http_build_query encoding), no credentials of the receiver.
 */
export async function sendAppEvent(
  url: string,
  event: Record<string, unknown>,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<AppEventDelivery> {
  const send = options.fetch ?? fetch;
  const response = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encodePhpQuery(event, { encoding: 'RFC1738' }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text as it is
  }
  return { status: response.status, body };
}
